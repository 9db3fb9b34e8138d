//! Lenient, borrowing serde views of rrweb JSON.
//!
//! Every field type here accepts any JSON value: a value of the wrong type becomes "absent"
//! (and the converter counts a warning where that matters) instead of failing the whole file.
//! Unknown fields are skipped with `IgnoredAny`, which serde_json walks without recursion, so
//! the only recursive structures are the DOM tree (depth-capped by [`MAX_DOM_DEPTH`]) and
//! nested wrappers (capped by [`MAX_ITEM_DEPTH`]). That is what makes it safe to parse with
//! serde_json's own recursion limit switched off.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Deepest DOM tree accepted in a FullSnapshot or a mutation, in element levels.
pub const MAX_DOM_DEPTH: u32 = 1_000;
/// Deepest nesting of wrappers (`{"events":[…]}`, `{"window_id","data":[…]}`, `[window, event]`).
pub const MAX_ITEM_DEPTH: u8 = 4;

/// Implements the visitor methods for JSON types a lenient type does not want: they are
/// consumed and turn into `$default`.
macro_rules! reject_others {
    ($value:ty, $default:expr, [$($skip:ident),*]) => {
        $(reject_others!(@one $skip, $value, $default);)*
    };
    (@one bool, $value:ty, $default:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$value, E> { Ok($default) }
    };
    (@one num, $value:ty, $default:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$value, E> { Ok($default) }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$value, E> { Ok($default) }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$value, E> { Ok($default) }
    };
    (@one str, $value:ty, $default:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$value, E> { Ok($default) }
    };
    (@one unit, $value:ty, $default:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<$value, E> { Ok($default) }
        fn visit_none<E: de::Error>(self) -> Result<$value, E> { Ok($default) }
    };
    (@one seq, $value:ty, $default:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<$value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($default)
        }
    };
    (@one map, $value:ty, $default:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($default)
        }
    };
}

/// A JSON number; any other JSON value (null, strings like `"NaN"`, objects) reads as `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Num(pub Option<f64>);

impl Num {
    /// The value when it is an integer that fits `i64` exactly enough for node ids.
    pub fn as_id(self) -> Option<i64> {
        let v = self.0?;
        (v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                Ok(Num(Some(v)))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Num, D::Error> {
                Num::deserialize(d)
            }
            reject_others!(Num, Num(None), [bool, str, unit, seq, map]);
        }
        deserializer.deserialize_any(V)
    }
}

/// A JSON boolean; anything else reads as `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bool(pub Option<bool>);

impl<'de> Deserialize<'de> for Bool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Bool, E> {
                Ok(Bool(Some(v)))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Bool, D::Error> {
                Bool::deserialize(d)
            }
            reject_others!(Bool, Bool(None), [num, str, unit, seq, map]);
        }
        deserializer.deserialize_any(V)
    }
}

/// A JSON string, borrowed from the input when it has no escapes; anything else is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Str<'a>(pub Option<Cow<'a, str>>);

impl Str<'_> {
    /// The string, if there was one.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
        Ok(Str(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
        Ok(Str(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
        Ok(Str(Some(Cow::Owned(v))))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Str<'de>, D::Error> {
        d.deserialize_any(self)
    }
    reject_others!(Str<'de>, Str(None), [bool, num, unit, seq, map]);
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrVisitor)
    }
}

/// A JSON object read as `T`; any other JSON value reads as `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Obj<T>, D::Error> {
                Obj::deserialize(d)
            }
            reject_others!(Obj<T>, Obj(None), [bool, num, str, unit, seq]);
        }
        deserializer.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A JSON array of objects read as `T`; other elements are skipped and counted in `skipped`;
/// a value that is not an array reads as empty.
#[derive(Clone, Debug, PartialEq)]
pub struct List<T> {
    /// The elements that were objects.
    pub items: Vec<T>,
    /// Elements that were not objects.
    pub skipped: u32,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            skipped: 0,
        }
    }
}

struct ListVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = List<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
        let mut list = List::default();
        while let Some(Obj(item)) = seq.next_element::<Obj<T>>()? {
            match item {
                Some(item) => list.items.push(item),
                None => list.skipped += 1,
            }
        }
        Ok(list)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<List<T>, D::Error> {
        d.deserialize_any(self)
    }
    reject_others!(List<T>, List::default(), [bool, num, str, unit, map]);
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListVisitor(std::marker::PhantomData))
    }
}

/// A list that PostHog may have replaced by a gzip string (`"cv": "2024-10"`).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Packable<'a, T> {
    /// Absent or not a list.
    #[default]
    Missing,
    /// A plain JSON list.
    Plain(List<T>),
    /// A latin-1 string holding gzip-compressed JSON.
    Packed(Cow<'a, str>),
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Packable<'a, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a, T>(std::marker::PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for V<'a, T> {
            type Value = Packable<'a, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or a compressed string")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                ListVisitor(std::marker::PhantomData)
                    .visit_seq(seq)
                    .map(Packable::Plain)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Packable::Packed(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Packable::Packed(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Packable::Packed(Cow::Owned(v)))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            reject_others!(Packable<'a, T>, Packable::Missing, [bool, num, unit, map]);
        }
        deserializer.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An attribute value: a string, `null` (removed, in mutations), a style diff object (rrweb
/// sends `style` changes as `{prop: value | [value, priority] | false}`), or something ignored.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue<'a> {
    /// A string (numbers and booleans are turned into strings).
    Text(Cow<'a, str>),
    /// `null`: the attribute was removed.
    Removed,
    /// Style property changes: `(property, Some(value))` sets, `(property, None)` removes.
    StyleDiff(Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>),
    /// Anything else.
    Ignored,
}

impl<'de: 'a, 'a> Deserialize<'de> for AttrValue<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttrValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(AttrValue::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AttrValue::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(AttrValue::Text(Cow::Owned(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(if v {
                    AttrValue::Text(Cow::Borrowed(""))
                } else {
                    AttrValue::Removed
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(AttrValue::Text(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(AttrValue::Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(AttrValue::Text(Cow::Owned(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(AttrValue::Removed)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(AttrValue::Removed)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut diff = Vec::new();
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    let value = map.next_value::<StyleValue<'de>>()?;
                    if let (Some(key), Some(value)) = (key, value.0) {
                        diff.push((key, value));
                    }
                }
                Ok(AttrValue::StyleDiff(diff))
            }
            reject_others!(AttrValue<'de>, AttrValue::Ignored, [seq]);
        }
        deserializer.deserialize_any(V)
    }
}

/// One value of a style diff: a string sets, `false` removes, `[value, priority]` sets.
/// `None` outside: ignore; `Some(None)`: remove; `Some(Some(v))`: set.
struct StyleValue<'a>(Option<Option<Cow<'a, str>>>);

impl<'de: 'a, 'a> Deserialize<'de> for StyleValue<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StyleValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a style value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StyleValue(Some(Some(Cow::Borrowed(v)))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StyleValue(Some(Some(Cow::Owned(v.to_owned())))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(StyleValue(if v { None } else { Some(None) }))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let first = seq.next_element::<Str<'de>>()?.and_then(|s| s.0);
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(StyleValue(first.map(Some)))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            reject_others!(StyleValue<'de>, StyleValue(None), [num, unit, map]);
        }
        deserializer.deserialize_any(V)
    }
}

/// Attribute names kept in the node mirror; all others are skipped while parsing.
pub const KEPT_ATTRIBUTES: [&str; 13] = [
    "id",
    "class",
    "role",
    "href",
    "name",
    "type",
    "style",
    "aria-label",
    "placeholder",
    "alt",
    "title",
    // Form analytics (mirror::FormWatch): error indicators appearing next to fields.
    "aria-invalid",
    "hidden",
];

/// The attributes of a node that SessionLens uses (see [`KEPT_ATTRIBUTES`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs<'a>(pub Vec<(&'static str, AttrValue<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Attrs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attrs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attrs<'de>, A::Error> {
                let mut attrs = Vec::new();
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    let kept = key.as_deref().and_then(|k| {
                        KEPT_ATTRIBUTES
                            .iter()
                            .find(|a| a.eq_ignore_ascii_case(k))
                            .copied()
                    });
                    match kept {
                        Some(name) => attrs.push((name, map.next_value::<AttrValue<'de>>()?)),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Attrs(attrs))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Attrs<'de>, D::Error> {
                d.deserialize_any(self)
            }
            reject_others!(Attrs<'de>, Attrs::default(), [bool, num, str, unit, seq]);
        }
        deserializer.deserialize_any(V)
    }
}

thread_local! {
    static DOM_DEPTH: Cell<u32> = const { Cell::new(0) };
    static DOM_DEPTH_LIMIT: Cell<u32> = const { Cell::new(MAX_DOM_DEPTH) };
}

/// Sets the DOM depth limit for parses on this thread (at most [`MAX_DOM_DEPTH`], which the
/// parse thread's stack is sized for).
pub fn set_dom_depth_limit(limit: u32) {
    DOM_DEPTH_LIMIT.with(|l| l.set(limit.clamp(1, MAX_DOM_DEPTH)));
}

/// Restores the DOM depth counter when a level of `childNodes` is done (or failed).
struct DepthGuard;

impl DepthGuard {
    fn enter<E: de::Error>() -> Result<Self, E> {
        let depth = DOM_DEPTH.with(|d| {
            let depth = d.get().saturating_add(1);
            d.set(depth);
            depth
        });
        let guard = Self;
        let limit = DOM_DEPTH_LIMIT.with(Cell::get);
        if depth > limit {
            return Err(E::custom(format!(
                "DOM tree nested deeper than {limit} levels"
            )));
        }
        Ok(guard)
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DOM_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The children of a serialized node, with the DOM depth capped at [`MAX_DOM_DEPTH`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Children<'a>(pub Vec<Node<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Children<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let _guard = DepthGuard::enter::<D::Error>()?;
        let list = List::<Node<'a>>::deserialize(deserializer)?;
        Ok(Children(list.items))
    }
}

/// A serialized DOM node (rrweb-snapshot `serializedNodeWithId`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Node<'a> {
    /// rrweb `NodeType`: Document 0, DocumentType 1, Element 2, Text 3, CDATA 4, Comment 5.
    #[serde(rename = "type")]
    pub kind: Num,
    /// The mirror id.
    pub id: Num,
    /// Element tag name.
    #[serde(borrow)]
    pub tag_name: Str<'a>,
    /// The kept attributes.
    #[serde(borrow)]
    pub attributes: Attrs<'a>,
    /// Child nodes.
    #[serde(borrow)]
    pub child_nodes: Children<'a>,
    /// Text of a text node.
    #[serde(borrow)]
    pub text_content: Str<'a>,
}

/// `initialOffset` of a FullSnapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Offset {
    /// scrollY.
    pub top: Num,
    /// scrollX.
    pub left: Num,
}

/// One mouse or touch position sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Position {
    /// clientX.
    pub x: Num,
    /// clientY.
    pub y: Num,
    /// Node under the pointer.
    pub id: Num,
    /// ms relative to the event timestamp (≤ 0).
    pub time_offset: Num,
}

/// A node added by a mutation.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Add<'a> {
    /// The new parent.
    pub parent_id: Num,
    /// The sibling the node is inserted before.
    pub next_id: Num,
    /// The sibling the node is inserted after.
    pub previous_id: Num,
    /// The node (with its subtree).
    #[serde(borrow)]
    pub node: Obj<Node<'a>>,
}

/// A node removed by a mutation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Remove {
    /// The old parent.
    pub parent_id: Num,
    /// The removed node.
    pub id: Num,
}

/// A text node whose content changed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TextChange<'a> {
    /// The text node.
    pub id: Num,
    /// The new text.
    #[serde(borrow)]
    pub value: Str<'a>,
}

/// An element whose attributes changed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AttrChange<'a> {
    /// The element.
    pub id: Num,
    /// The changed attributes (null: removed).
    #[serde(borrow)]
    pub attributes: Attrs<'a>,
}

/// Arguments of a console call (`rrweb/console@1` `payload.payload`): strings, numbers as text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Args<'a>(pub Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Args<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Args<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("console arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Args<'de>, A::Error> {
                let mut args = Vec::new();
                while let Some(arg) = seq.next_element::<AttrValue<'de>>()? {
                    if let AttrValue::Text(text) = arg {
                        args.push(text);
                    }
                }
                Ok(Args(args))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Args<'de>, E> {
                Ok(Args(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Args<'de>, E> {
                Ok(Args(vec![Cow::Owned(v.to_owned())]))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Args<'de>, D::Error> {
                d.deserialize_any(self)
            }
            reject_others!(Args<'de>, Args::default(), [bool, num, unit, map]);
        }
        deserializer.deserialize_any(V)
    }
}

/// `payload` of a Custom event or of a console plugin event (the fields of both, merged).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Payload<'a> {
    /// Console level (`log`, `warn`, `error`, …).
    #[serde(borrow)]
    pub level: Str<'a>,
    /// Console arguments.
    #[serde(borrow)]
    pub payload: Args<'a>,
    /// Custom event value, e.g. revenue.
    pub value: Num,
    /// Custom event currency.
    #[serde(borrow)]
    pub currency: Str<'a>,
    /// posthog-js `$pageview` / `$url_changed`: the page URL.
    #[serde(borrow)]
    pub href: Str<'a>,
    /// Sentry breadcrumb category (`navigation`, `console`, `ui.click`, …).
    #[serde(borrow)]
    pub category: Str<'a>,
    /// Sentry breadcrumb message.
    #[serde(borrow)]
    pub message: Str<'a>,
    /// Sentry performance span operation (`navigation.push`, `resource.fetch`, …).
    #[serde(borrow)]
    pub op: Str<'a>,
    /// Sentry performance span description (a URL for navigation and resource spans).
    #[serde(borrow)]
    pub description: Str<'a>,
    /// Sentry breadcrumb or span `data`.
    #[serde(borrow)]
    pub data: Obj<super::recorders::SpanData<'a>>,
    /// `rrweb/network@1` requests.
    #[serde(borrow)]
    pub requests: List<super::recorders::Request<'a>>,
    /// An experiment assignment's variant (`slTrack('experiment', {experiment, variant})`).
    #[serde(borrow)]
    pub variant: Str<'a>,
    /// The experiment a variant belongs to.
    #[serde(borrow)]
    pub experiment: Str<'a>,
}

/// The `data` of any rrweb event: the fields of every event shape, merged, all optional. The
/// field names of the shapes do not clash (where two share a name, they share a meaning or a
/// lenient type), so `data` can be read before the event's `type` is known.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EventData<'a> {
    /// IncrementalSnapshot source.
    pub source: Num,
    /// MouseMove/TouchMove/Drag samples.
    pub positions: List<Position>,
    /// MouseInteraction (or MediaInteraction) type.
    #[serde(rename = "type")]
    pub kind: Num,
    /// Target node id.
    pub id: Num,
    /// x (clientX, or scrollLeft).
    pub x: Num,
    /// y (clientY, or scrollTop).
    pub y: Num,
    /// PointerTypes.
    pub pointer_type: Num,
    /// Meta page URL.
    #[serde(borrow)]
    pub href: Str<'a>,
    /// Meta / ViewportResize width.
    pub width: Num,
    /// Meta / ViewportResize height.
    pub height: Num,
    /// FullSnapshot DOM.
    #[serde(borrow)]
    pub node: Obj<Node<'a>>,
    /// FullSnapshot scroll.
    pub initial_offset: Obj<Offset>,
    /// Input text.
    #[serde(borrow)]
    pub text: Str<'a>,
    /// Input checked state.
    pub is_checked: Bool,
    /// Custom event tag.
    #[serde(borrow)]
    pub tag: Str<'a>,
    /// Custom or plugin payload.
    #[serde(borrow)]
    pub payload: Obj<Payload<'a>>,
    /// Plugin name.
    #[serde(borrow)]
    pub plugin: Str<'a>,
    /// Mutation adds.
    #[serde(borrow)]
    pub adds: Packable<'a, Add<'a>>,
    /// Mutation removes.
    #[serde(borrow)]
    pub removes: Packable<'a, Remove>,
    /// Mutation text changes.
    #[serde(borrow)]
    pub texts: Packable<'a, TextChange<'a>>,
    /// Mutation attribute changes.
    #[serde(borrow)]
    pub attributes: Packable<'a, AttrChange<'a>>,
}

/// An event's `data`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Data<'a> {
    /// No `data`, or `data` of an unusable type.
    #[default]
    Missing,
    /// An object.
    Plain(Box<EventData<'a>>),
    /// An object not read yet: its JSON text in the input, read into [`EventData`] when the
    /// event is converted (see [`Sink::defer_data`]).
    Deferred(&'a str),
    /// An object not read yet whose JSON text is not kept either: where it is in the file
    /// (byte offset and length), read back from there when the event is converted (large
    /// arrays read as they stream from the file, see `stream`).
    InFile { offset: u64, len: usize },
    /// A latin-1 string holding gzip-compressed JSON (PostHog `"cv": "2024-10"`).
    Packed(Cow<'a, str>),
}

/// One event as found in the file, before conversion.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawEvent<'a> {
    /// Index among the items of the file (for messages).
    pub index: usize,
    /// The JSON Lines line (1-based), 0 for single documents.
    pub line: usize,
    /// rrweb `EventType`; `None` when absent or not a number (or the item is not an object).
    pub kind: Num,
    /// Epoch ms.
    pub timestamp: Num,
    /// The payload.
    pub data: Data<'a>,
    /// Window (tab) id, from the event or an enclosing wrapper.
    pub window: Option<Cow<'a, str>>,
    /// Session id, from the event or an enclosing wrapper.
    pub session: Option<Cow<'a, str>>,
}

impl RawEvent<'_> {
    /// The event without borrows from the text it was read from, `text` starting at byte
    /// `offset` of the file: a deferred `data` becomes its place in the file
    /// ([`Data::InFile`]), strings are copied. `None` for `data` already read into a tree (not
    /// made by a deferring [`Sink`]) or a deferred slice outside `text`.
    #[must_use]
    pub fn detach(self, text: &str, offset: u64) -> Option<RawEvent<'static>> {
        self.detach_with(|slice| {
            let start = (slice.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
            (start + slice.len() <= text.len()).then_some((offset + start as u64, slice.len()))
        })
    }

    /// The event without borrows, a deferred `data` at the place in the file `place` gives for
    /// its text (offset and length; `None`: the event cannot be detached). `None` also for
    /// `data` already read into a tree.
    pub fn detach_with(
        self,
        mut place: impl FnMut(&str) -> Option<(u64, usize)>,
    ) -> Option<RawEvent<'static>> {
        let data = match self.data {
            Data::Missing => Data::Missing,
            Data::Deferred(slice) => {
                let (offset, len) = place(slice)?;
                Data::InFile { offset, len }
            }
            Data::InFile { offset, len } => Data::InFile { offset, len },
            Data::Packed(packed) => Data::Packed(Cow::Owned(packed.into_owned())),
            Data::Plain(_) => return None,
        };
        Some(RawEvent {
            index: self.index,
            line: self.line,
            kind: self.kind,
            timestamp: self.timestamp,
            data,
            window: self.window.map(|w| Cow::Owned(w.into_owned())),
            session: self.session.map(|s| Cow::Owned(s.into_owned())),
        })
    }
}

/// Collects events from a document while it is parsed.
#[derive(Debug, Default)]
pub struct Sink<'a> {
    /// The events, in file order.
    pub events: Vec<RawEvent<'a>>,
    /// The current JSON Lines line (1-based), 0 for single documents.
    pub line: usize,
    /// Items nested deeper than [`MAX_ITEM_DEPTH`] that were skipped.
    pub too_deep: u64,
    /// The top-level `version` string (PostHog file exports).
    pub export_version: Option<Cow<'a, str>>,
    /// The top-level `data` held PostHog export keys (`snapshots`, `snapshotsByWindowId`,
    /// `person`) rather than event data.
    pub export_data: bool,
    /// The session id of a PostHog file export (`data.id`), until the wrapper takes it.
    export_id: Option<Cow<'a, str>>,
    /// PostHog capture events other than `$snapshot` (`$pageview`, `$autocapture`, …) skipped.
    pub skipped_capture: u64,
    /// Names of the first few skipped capture events.
    pub skipped_capture_names: Vec<String>,
    /// Keep the `data` objects of events as their JSON text ([`Data::Deferred`]) instead of
    /// reading them: the events of a whole file then cost a few words each, not their DOM
    /// trees, and each is read when it is converted. A deferred read can fail where the eager
    /// one would have failed earlier (another error, another place): the caller then reads the
    /// input again without deferring, for the error as it always was.
    pub defer_data: bool,
}

impl<'a> Sink<'a> {
    /// An empty sink; `defer_data` as in [`Sink::defer_data`].
    pub fn new(defer_data: bool) -> Self {
        Self {
            defer_data,
            ..Self::default()
        }
    }

    /// True when nothing but events was found: no wrapper nested too deeply, no skipped
    /// capture event, no PostHog export keys.
    #[must_use]
    pub fn only_events(&self) -> bool {
        self.too_deep == 0
            && self.skipped_capture == 0
            && self.export_version.is_none()
            && !self.export_data
            && self.export_id.is_none()
    }

    /// The sink without borrows: its events detached with `place` (see
    /// [`RawEvent::detach_with`]), with what the conversion reads of the rest. `None` when an
    /// event cannot be detached.
    pub fn detach_with(
        self,
        mut place: impl FnMut(&str) -> Option<(u64, usize)>,
    ) -> Option<Sink<'static>> {
        let mut events = Vec::with_capacity(self.events.len());
        for event in self.events {
            events.push(event.detach_with(&mut place)?);
        }
        Some(Sink {
            events,
            line: self.line,
            too_deep: self.too_deep,
            skipped_capture: self.skipped_capture,
            skipped_capture_names: self.skipped_capture_names,
            defer_data: self.defer_data,
            ..Sink::default()
        })
    }

    fn push_non_event(&mut self) {
        let index = self.events.len();
        self.events.push(RawEvent {
            index,
            line: self.line,
            ..RawEvent::default()
        });
    }

    /// Gives events pushed since `start` the wrapper's window and session ids, when they have
    /// none of their own.
    fn inherit(
        &mut self,
        start: usize,
        window: Option<&Cow<'a, str>>,
        session: Option<&Cow<'a, str>>,
    ) {
        for event in self.events.get_mut(start..).unwrap_or_default() {
            if event.window.is_none() {
                event.window = window.cloned();
            }
            if event.session.is_none() {
                event.session = session.cloned();
            }
        }
    }
}

/// Reads one item: an event, a list of items, a `[window_id, event…]` pair, or a wrapper object
/// (`{"events"|"data"|"snapshots": [items], "window_id", "$session_id", …}`).
pub struct ItemSeed<'s, 'a> {
    /// Where events go.
    pub sink: &'s mut Sink<'a>,
    /// Nesting depth of wrappers.
    pub depth: u8,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for ItemSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.depth > MAX_ITEM_DEPTH {
            self.sink.too_deep += 1;
            deserializer.deserialize_ignored_any(IgnoredAny)?;
            return Ok(());
        }
        deserializer.deserialize_any(self)
    }
}

/// Keys of an item object that matter.
enum Key {
    Type,
    Timestamp,
    Data,
    Items,
    Session,
    Window,
    /// Top-level `version` of a PostHog file export.
    Version,
    /// PostHog capture event name (`"event": "$snapshot"`).
    Event,
    /// PostHog capture event `properties`.
    Properties,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "type" => Key::Type,
                    "timestamp" => Key::Timestamp,
                    "data" => Key::Data,
                    "events" | "snapshots" | "batch" => Key::Items,
                    "sessionId" | "session_id" | "$session_id" => Key::Session,
                    "windowId" | "window_id" | "$window_id" => Key::Window,
                    "version" => Key::Version,
                    "event" => Key::Event,
                    "properties" => Key::Properties,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Reads an item's `data`: event data (object or packed string) or a list of items.
struct DataSeed<'s, 'a> {
    sink: &'s mut Sink<'a>,
    depth: u8,
    /// The `data` of the document's top-level object, which may be a PostHog file export's
    /// `{"id", "person", "snapshots" | "snapshotsByWindowId"}`.
    top: bool,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for DataSeed<'_, 'a> {
    type Value = Data<'a>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Data<'a>, D::Error> {
        if self.top || !self.sink.defer_data {
            return deserializer.deserialize_any(self);
        }
        // Skipped at serde_json's skipping speed, kept as a slice of the input.
        let raw = <&'de serde_json::value::RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim_ascii_start();
        if text.starts_with('{') {
            return Ok(Data::Deferred(text));
        }
        // A list of items or a packed string: read now, as before (the items go to the sink in
        // file order). An error here has a place relative to `data`, so the caller reads the
        // input again without deferring for the error as it always was.
        let mut de = serde_json::Deserializer::from_str(text);
        de.disable_recursion_limit();
        let data = de.deserialize_any(self).map_err(de::Error::custom)?;
        de.end().map_err(de::Error::custom)?;
        Ok(data)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for DataSeed<'_, 'a> {
    type Value = Data<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("event data")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Data<'a>, A::Error> {
        if !self.top {
            return EventData::deserialize(MapAccessDeserializer::new(map))
                .map(|d| Data::Plain(Box::new(d)));
        }
        let mut export = ExportMap {
            inner: map,
            sink: self.sink,
            depth: self.depth,
            node_id: Num(None),
            wrapper: false,
        };
        let mut data = EventData::deserialize(MapAccessDeserializer::new(&mut export))?;
        if export.wrapper {
            export.sink.export_data = true;
            return Ok(Data::Missing);
        }
        data.id = export.node_id;
        Ok(Data::Plain(Box::new(data)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Data<'a>, A::Error> {
        ItemSeed {
            sink: self.sink,
            depth: self.depth,
        }
        .deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Data::Missing)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Data<'a>, E> {
        Ok(Data::Packed(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Data<'a>, E> {
        Ok(Data::Packed(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Data<'a>, E> {
        Ok(Data::Packed(Cow::Owned(v)))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Data<'a>, D::Error> {
        d.deserialize_any(self)
    }
    reject_others!(Data<'a>, Data::Missing, [bool, num, unit]);
}

/// The first element of an array item: a window id (the array is a `[window, event]` pair) or
/// an item (the array is a list of items).
struct FirstSeed<'s, 'a> {
    sink: &'s mut Sink<'a>,
    depth: u8,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for FirstSeed<'_, 'a> {
    type Value = Option<Cow<'a, str>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for FirstSeed<'_, 'a> {
    type Value = Option<Cow<'a, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event or a window id")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ItemSeed {
            sink: self.sink,
            depth: self.depth,
        }
        .visit_map(map)?;
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        ItemSeed {
            sink: self.sink,
            depth: self.depth,
        }
        .deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.sink.push_non_event();
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.sink.push_non_event();
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.sink.push_non_event();
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.sink.push_non_event();
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.sink.push_non_event();
        Ok(None)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ItemSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an rrweb event or a list of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let start = self.sink.events.len();
        let first = seq.next_element_seed(FirstSeed {
            sink: self.sink,
            depth: self.depth + 1,
        })?;
        while seq
            .next_element_seed(ItemSeed {
                sink: self.sink,
                depth: self.depth + 1,
            })?
            .is_some()
        {}
        if let Some(Some(window)) = first {
            self.sink.inherit(start, Some(&window), None);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let start = self.sink.events.len();
        let skipped_before = self.sink.skipped_capture;
        let mut event = RawEvent::default();
        let mut has_type_key = false;
        // A PostHog capture event: `{"event": name, "properties": {"$snapshot_data", …}}`.
        let mut capture_name: Option<Cow<'a, str>> = None;
        let (mut capture_session, mut capture_window) = (None, None);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => {
                    has_type_key = true;
                    event.kind = map.next_value()?;
                }
                Key::Timestamp => event.timestamp = map.next_value()?,
                Key::Data => {
                    event.data = map.next_value_seed(DataSeed {
                        top: self.depth == 0 && self.sink.line == 0,
                        sink: self.sink,
                        depth: self.depth + 1,
                    })?;
                }
                Key::Items => map.next_value_seed(ItemSeed {
                    sink: self.sink,
                    depth: self.depth + 1,
                })?,
                Key::Session => event.session = map.next_value::<Str<'de>>()?.0,
                // PostHog's current exports number windows (`"windowId": 1`).
                Key::Window => {
                    event.window = match map.next_value::<AttrValue<'de>>()? {
                        AttrValue::Text(window) => Some(window),
                        _ => None,
                    };
                }
                Key::Version => {
                    let version = map.next_value::<Str<'de>>()?.0;
                    if self.depth == 0 && self.sink.line == 0 {
                        self.sink.export_version = version;
                    }
                }
                Key::Event => capture_name = map.next_value::<Str<'de>>()?.0,
                Key::Properties => {
                    let (session, window) = map.next_value_seed(PropertiesSeed {
                        sink: self.sink,
                        depth: self.depth + 1,
                    })?;
                    capture_session = session;
                    capture_window = window;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Some(id) = self.sink.export_id.take()
            && event.session.is_none()
        {
            event.session = Some(id);
        }
        if event.session.is_none() {
            event.session = capture_session;
        }
        if event.window.is_none() {
            event.window = capture_window;
        }
        // A wrapper whose items were all skipped capture events is a wrapper all the same.
        let nested = self.sink.events.len() > start || self.sink.skipped_capture > skipped_before;
        if nested {
            self.sink
                .inherit(start, event.window.as_ref(), event.session.as_ref());
        }
        if let Some(name) = capture_name
            && !has_type_key
            && name != "$snapshot"
        {
            // `$pageview`, `$autocapture` and other analytics events of a capture batch.
            self.sink.skipped_capture += 1;
            if self.sink.skipped_capture_names.len() < 3
                && !self.sink.skipped_capture_names.iter().any(|n| *n == name)
            {
                self.sink.skipped_capture_names.push(name.into_owned());
            }
            return Ok(());
        }
        if has_type_key || !matches!(event.data, Data::Missing) || !nested {
            event.index = self.sink.events.len();
            event.line = self.sink.line;
            self.sink.events.push(event);
        }
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.sink.push_non_event();
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.sink.push_non_event();
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.sink.push_non_event();
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.sink.push_non_event();
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.sink.push_non_event();
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.sink.push_non_event();
        Ok(())
    }
}

/// The top-level `data` object of a document, read as event data while the keys of a PostHog
/// file export are taken out: `snapshots` (events carrying `windowId`, version 2023-04-28),
/// `snapshotsByWindowId` (`{window: [events]}`, version 2022-12-02) and a string `id` (the
/// session id). A numeric `id` is an event's node id and is handed back in `node_id`.
struct ExportMap<'s, 'a, A> {
    inner: A,
    sink: &'s mut Sink<'a>,
    depth: u8,
    node_id: Num,
    /// Export keys were found: the object is a wrapper, not event data.
    wrapper: bool,
}

impl<'de: 'a, 'a, A: MapAccess<'de>> MapAccess<'de> for &mut ExportMap<'_, 'a, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        use serde::de::IntoDeserializer as _;
        use serde::de::value::BorrowedStrDeserializer;
        loop {
            let Some(Str(key)) = self.inner.next_key::<Str<'de>>()? else {
                return Ok(None);
            };
            let Some(key) = key else {
                self.inner.next_value::<IgnoredAny>()?;
                continue;
            };
            match key.as_ref() {
                "snapshots" => {
                    self.wrapper = true;
                    self.inner.next_value_seed(ItemSeed {
                        sink: self.sink,
                        depth: self.depth,
                    })?;
                }
                "snapshotsByWindowId" => {
                    self.wrapper = true;
                    self.inner.next_value_seed(WindowsSeed {
                        sink: self.sink,
                        depth: self.depth,
                    })?;
                }
                "person" => {
                    self.wrapper = true;
                    self.inner.next_value::<IgnoredAny>()?;
                }
                "id" => match self.inner.next_value::<IdValue<'de>>()? {
                    IdValue::Text(id) => self.sink.export_id = Some(id),
                    IdValue::Number(n) => self.node_id = n,
                },
                _ => {
                    return match key {
                        Cow::Borrowed(k) => seed
                            .deserialize(BorrowedStrDeserializer::<A::Error>::new(k))
                            .map(Some),
                        Cow::Owned(k) => seed.deserialize(k.into_deserializer()).map(Some),
                    };
                }
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }
}

/// An `id`: a string (a PostHog session id) or a number (a node id).
enum IdValue<'a> {
    Text(Cow<'a, str>),
    Number(Num),
}

impl<'de: 'a, 'a> Deserialize<'de> for IdValue<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(IdValue::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(IdValue::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(IdValue::Number(Num(Some(v as f64))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(IdValue::Number(Num(Some(v as f64))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(IdValue::Number(Num(Some(v))))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            reject_others!(
                IdValue<'de>,
                IdValue::Number(Num(None)),
                [bool, unit, seq, map]
            );
        }
        deserializer.deserialize_any(V)
    }
}

/// PostHog's legacy `snapshotsByWindowId`: `{window_id: [events]}`; each list's events get the
/// window id.
struct WindowsSeed<'s, 'a> {
    sink: &'s mut Sink<'a>,
    depth: u8,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for WindowsSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for WindowsSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("events by window id")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Str(window)) = map.next_key::<Str<'de>>()? {
            let start = self.sink.events.len();
            map.next_value_seed(ItemSeed {
                sink: self.sink,
                depth: self.depth + 1,
            })?;
            self.sink.inherit(start, window.as_ref(), None);
        }
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    reject_others!((), (), [bool, num, str, unit, seq]);
}

/// The `properties` of a PostHog capture event: `$snapshot_data` (one rrweb event or a list)
/// goes to the sink; `$session_id` and `$window_id` are returned for the events inside.
struct PropertiesSeed<'s, 'a> {
    sink: &'s mut Sink<'a>,
    depth: u8,
}

type Ids<'a> = (Option<Cow<'a, str>>, Option<Cow<'a, str>>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for PropertiesSeed<'_, 'a> {
    type Value = Ids<'a>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Ids<'a>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for PropertiesSeed<'_, 'a> {
    type Value = Ids<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("capture event properties")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ids<'a>, A::Error> {
        let (mut session, mut window) = (None, None);
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            match key.as_deref() {
                Some("$snapshot_data") => map.next_value_seed(ItemSeed {
                    sink: self.sink,
                    depth: self.depth,
                })?,
                Some("$session_id") => session = map.next_value::<Str<'de>>()?.0,
                Some("$window_id") => window = map.next_value::<Str<'de>>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((session, window))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Ids<'a>, D::Error> {
        d.deserialize_any(self)
    }
    reject_others!(Ids<'a>, (None, None), [bool, num, str, unit, seq]);
}
