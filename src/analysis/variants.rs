//! Page variants of one page side by side (docs/VARIANTS.md): per variant its page views,
//! sessions, conversion of those sessions, clicks, rage and dead clicks per page view, scroll
//! depth and time on the page, and the conversion of each variant tested against the control
//! with the two-share test of difference maps (Benjamini–Hochberg over the variants).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::significance::{DEFAULT_FDR, ShareTester, benjamini_hochberg};
use crate::model::variant::NO_VARIANT;

/// What is known of one page view for the variant table.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantView {
    /// Its variant (`None`: none under the source).
    pub variant: Option<String>,
    /// The session's row id.
    pub session_rowid: i64,
    /// The page view's index in its session.
    pub page_index: u32,
    /// Whether the session converted (the library's goal).
    pub converted: bool,
    /// Clicks on the page view.
    pub clicks: u32,
    /// Rage clicks on the page view.
    pub rage_clicks: u32,
    /// Dead clicks on the page view.
    pub dead_clicks: u32,
    /// Deepest viewport bottom reached, as a share of the document height (`None`: height
    /// unknown).
    pub depth_share: Option<f32>,
    /// Time on the page, ms.
    pub duration_ms: i64,
}

/// One variant's row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantRow {
    /// The variant ([`NO_VARIANT`] for page views without one).
    pub variant: String,
    /// Page views of the variant.
    pub page_views: u64,
    /// Their share of all page views of the page.
    pub share_of_views: f64,
    /// Sessions with a page view of the variant.
    pub sessions: u64,
    /// Of those, sessions that converted.
    pub converted_sessions: u64,
    /// `converted_sessions / sessions`.
    pub conversion_rate: f64,
    /// Clicks per page view.
    pub clicks_per_view: f64,
    /// Rage clicks per 100 page views.
    pub rage_per_100_views: f64,
    /// Dead clicks per 100 page views.
    pub dead_per_100_views: f64,
    /// Median of the deepest point reached, percent of the page (`None`: heights unknown).
    pub median_depth_percent: Option<f64>,
    /// Median time on the page, ms.
    pub median_time_ms: i64,
    /// The first page view of the variant, `(session row id, page index)`: the one its
    /// screenshot is rendered from.
    pub example: (i64, u32),
    /// The conversion rate tested against the control (`None` for the control itself).
    pub versus_control: Option<ConversionTest>,
}

/// A variant's conversion rate against the control's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConversionTest {
    /// This variant's rate minus the control's.
    pub difference: f64,
    /// 95 % interval of the difference (Newcombe).
    pub interval95: (f64, f64),
    /// Two-sided p-value (Fisher's exact test for small counts, else the z-test).
    pub p_value: f64,
    /// Significant after Benjamini–Hochberg over the variants at [`DEFAULT_FDR`].
    pub significant: bool,
}

/// The variants of one page.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantTable {
    /// Rows, most page views first ([`NO_VARIANT`] last).
    pub rows: Vec<VariantRow>,
    /// The variant the others are tested against: one named `A` or `control` (any case) when
    /// there is one, else the one with the most page views.
    pub control: Option<String>,
    /// The false discovery rate of the tests.
    pub fdr: f64,
}

/// Builds the table from every page view in scope.
#[must_use]
pub fn variant_table(views: &[VariantView]) -> VariantTable {
    struct Acc<'a> {
        views: Vec<&'a VariantView>,
        sessions: HashSet<i64>,
        converted: HashSet<i64>,
    }
    let mut groups: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
    for view in views {
        let key = view.variant.as_deref().unwrap_or(NO_VARIANT);
        let acc = groups.entry(key).or_insert_with(|| Acc {
            views: Vec::new(),
            sessions: HashSet::new(),
            converted: HashSet::new(),
        });
        acc.views.push(view);
        acc.sessions.insert(view.session_rowid);
        if view.converted {
            acc.converted.insert(view.session_rowid);
        }
    }
    let total = views.len().max(1) as f64;
    let mut rows: Vec<VariantRow> = groups
        .into_iter()
        .map(|(variant, acc)| {
            let n = acc.views.len() as f64;
            let sum =
                |f: fn(&VariantView) -> u32| acc.views.iter().map(|v| f64::from(f(v))).sum::<f64>();
            let mut depths: Vec<f64> = acc
                .views
                .iter()
                .filter_map(|v| v.depth_share.map(|d| f64::from(d.clamp(0.0, 1.0)) * 100.0))
                .collect();
            let mut times: Vec<i64> = acc.views.iter().map(|v| v.duration_ms).collect();
            let first = acc
                .views
                .iter()
                .min_by_key(|v| (v.session_rowid, v.page_index))
                .map_or((0, 0), |v| (v.session_rowid, v.page_index));
            VariantRow {
                variant: variant.to_owned(),
                page_views: acc.views.len() as u64,
                share_of_views: n / total,
                sessions: acc.sessions.len() as u64,
                converted_sessions: acc.converted.len() as u64,
                conversion_rate: acc.converted.len() as f64 / acc.sessions.len().max(1) as f64,
                clicks_per_view: sum(|v| v.clicks) / n,
                rage_per_100_views: sum(|v| v.rage_clicks) * 100.0 / n,
                dead_per_100_views: sum(|v| v.dead_clicks) * 100.0 / n,
                median_depth_percent: median_f64(&mut depths),
                median_time_ms: median_i64(&mut times),
                example: first,
                versus_control: None,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.variant == NO_VARIANT)
            .cmp(&(b.variant == NO_VARIANT))
            .then(b.page_views.cmp(&a.page_views))
            .then(a.variant.cmp(&b.variant))
    });
    let named: Vec<&VariantRow> = rows.iter().filter(|r| r.variant != NO_VARIANT).collect();
    let control = named
        .iter()
        .find(|r| r.variant.eq_ignore_ascii_case("a") || r.variant.eq_ignore_ascii_case("control"))
        .or(named.first())
        .map(|r| r.variant.clone());
    if let Some(control) = &control
        && let Some(c) = rows.iter().find(|r| &r.variant == control).cloned()
    {
        let max_total = rows.iter().map(|r| r.sessions).max().unwrap_or(0) + c.sessions;
        let tester = ShareTester::new(max_total);
        let tested: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].variant != *control && rows[i].variant != NO_VARIANT)
            .collect();
        let tests: Vec<_> = tested
            .iter()
            .map(|&i| {
                let r = &rows[i];
                tester.test(
                    r.converted_sessions,
                    r.sessions,
                    c.converted_sessions,
                    c.sessions,
                )
            })
            .collect();
        let p: Vec<f64> = tests.iter().map(|t| t.p_value).collect();
        let significant = benjamini_hochberg(&p, DEFAULT_FDR);
        for ((&i, t), s) in tested.iter().zip(&tests).zip(significant) {
            rows[i].versus_control = Some(ConversionTest {
                difference: t.share_a - t.share_b,
                interval95: t.interval95,
                p_value: t.p_value,
                significant: s,
            });
        }
    }
    VariantTable {
        rows,
        control,
        fdr: DEFAULT_FDR,
    }
}

fn median_f64(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        f64::midpoint(values[mid - 1], values[mid])
    } else {
        values[mid]
    })
}

fn median_i64(values: &mut [i64]) -> i64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2
    } else {
        values[mid]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(variant: Option<&str>, session: i64, converted: bool, clicks: u32) -> VariantView {
        VariantView {
            variant: variant.map(str::to_owned),
            session_rowid: session,
            page_index: 0,
            converted,
            clicks,
            rage_clicks: u32::from(clicks > 3),
            dead_clicks: 0,
            depth_share: Some(0.5),
            duration_ms: 1_000 * i64::from(clicks),
        }
    }

    #[test]
    fn rows_count_views_sessions_and_conversion_per_variant() {
        let mut views = Vec::new();
        // B: 40 sessions, 30 converted; A: 60 sessions (the most views), 6 converted.
        for s in 0..40 {
            views.push(view(Some("B"), s, s < 30, 4));
        }
        for s in 40..100 {
            views.push(view(Some("A"), s, s < 46, 2));
        }
        views.push(view(None, 200, false, 1));
        // A second view of one A session does not count it twice.
        views.push(VariantView {
            page_index: 1,
            ..view(Some("A"), 41, true, 2)
        });
        let table = variant_table(&views);
        let names: Vec<&str> = table.rows.iter().map(|r| r.variant.as_str()).collect();
        assert_eq!(names, ["A", "B", NO_VARIANT]);
        assert_eq!(table.control.as_deref(), Some("A"));
        let (a, b) = (&table.rows[0], &table.rows[1]);
        assert_eq!(
            (a.page_views, a.sessions, a.converted_sessions),
            (61, 60, 6)
        );
        assert_eq!(
            (b.page_views, b.sessions, b.converted_sessions),
            (40, 40, 30)
        );
        assert!((b.conversion_rate - 0.75).abs() < 1e-12);
        assert!((b.rage_per_100_views - 100.0).abs() < 1e-9);
        assert_eq!(b.median_time_ms, 4_000);
        assert_eq!(b.example, (0, 0));
        assert!(a.versus_control.is_none());
        let test = b.versus_control.as_ref().unwrap();
        assert!((test.difference - 0.65).abs() < 1e-12);
        assert!(test.significant && test.p_value < 1e-6);
        assert!(table.rows[2].versus_control.is_none());
    }

    #[test]
    fn equal_rates_are_not_significant_and_a_control_is_found_without_an_a() {
        let mut views = Vec::new();
        for s in 0..50 {
            views.push(view(Some("blue"), s, s % 5 == 0, 1));
            views.push(view(Some("green"), 100 + s, s % 5 == 1, 1));
        }
        views.push(view(Some("green"), 300, false, 1));
        let table = variant_table(&views);
        assert_eq!(table.control.as_deref(), Some("green"));
        let blue = table.rows.iter().find(|r| r.variant == "blue").unwrap();
        assert!(!blue.versus_control.as_ref().unwrap().significant);
        assert!(variant_table(&[]).rows.is_empty());
    }
}
