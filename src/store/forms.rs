//! Form facts kept per session: `form_facts` holds, for every session imported since schema 9,
//! the forms of each of its page views (`analysis::forms::page_view_forms_of`, written by the
//! import's derivations), so the form table of a page is read without any session body.
//!
//! The body is the postcard encoding of `Vec<PageViewForms>` tagged with
//! [`FORM_FACTS_VERSION`]. The rows are derived data: a row of another version, or a session
//! without a row (imported before schema 9), is derived again from the session's body when
//! read, so changing the analysis only needs a new version number, never a migration.
//!
//! `form_names` holds the names users give forms (`analysis::forms::FormName`).

use std::collections::HashMap;

use super::error::StoreError;
use super::library::Library;
use super::query::{SessionFilter, SessionSort};
use crate::analysis::forms::{
    FormName, PageViewForms, SessionForms, assemble_session_forms, session_forms, valid_form_name,
};
use crate::model::UrlPattern;

/// The version of the stored page-view forms (bump it when `PageViewForms` or the analysis
/// that fills it changes meaning: older rows are then derived again from bodies when read).
pub(crate) const FORM_FACTS_VERSION: i64 = 1;

/// Stores the page-view forms of the session at `session_rowid` (in the import transaction).
pub(crate) fn write_form_facts(
    tx: &rusqlite::Transaction<'_>,
    session_rowid: i64,
    session_id: &str,
    views: &[PageViewForms],
) -> Result<(), StoreError> {
    let body = postcard::to_stdvec(views).map_err(|e| StoreError::Decode {
        session_id: session_id.to_owned(),
        detail: format!("form facts could not be encoded: {e}"),
    })?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO form_facts (session_rowid, version, body) VALUES (?1, ?2, ?3)",
    )?
    .execute(rusqlite::params![session_rowid, FORM_FACTS_VERSION, body])?;
    Ok(())
}

impl Library {
    /// The names given to forms, by page then form.
    pub fn form_names(&self) -> Result<Vec<FormName>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT page, form, name FROM form_names ORDER BY page, form")?;
        let rows = stmt.query_map([], |r| {
            Ok(FormName {
                page: r.get(0)?,
                form: r.get(1)?,
                name: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Names the form `form` of page `page` (forms sharing a name are merged), or removes its
    /// name with `None`. Returns false when removing a name the form did not have.
    pub fn set_form_name(
        &self,
        page: &str,
        form: &str,
        name: Option<&str>,
    ) -> Result<bool, StoreError> {
        if page.is_empty() || form.is_empty() {
            return Err(StoreError::Invalid(
                "a form is named by its page and its form (both as the form table lists them)"
                    .to_owned(),
            ));
        }
        let changed = match name {
            Some(name) => {
                let name = valid_form_name(name).map_err(StoreError::Invalid)?;
                self.conn.execute(
                    "INSERT INTO form_names (page, form, name) VALUES (?1, ?2, ?3)
                     ON CONFLICT (page, form) DO UPDATE SET name = excluded.name",
                    rusqlite::params![page, form, name],
                )?
            }
            None => self.conn.execute(
                "DELETE FROM form_names WHERE page = ?1 AND form = ?2",
                rusqlite::params![page, form],
            )?,
        };
        Ok(changed > 0)
    }

    /// The form facts of every session matching `filter` (oldest first), counting only the page
    /// views whose URL matches `page` when given; from `form_facts`, falling back to the body
    /// of a session without a current row. Equal to deriving them from every body
    /// (`Store::form_facts`'s default).
    pub fn form_facts(
        &self,
        filter: &SessionFilter,
        page: Option<&UrlPattern>,
    ) -> Result<Vec<SessionForms>, StoreError> {
        let narrowed = crate::analysis::forms::sessions_for_page(filter, page);
        let index = self.session_index()?;
        let mut positions = index.matching(&narrowed);
        index.sort(&mut positions, SessionSort::OldestFirst);
        let wanted: HashMap<i64, usize> = positions
            .iter()
            .enumerate()
            .map(|(slot, &p)| (index.rowid(p), slot))
            .collect();
        // Stored rows of the wanted sessions: (session id, decoded page views or None when
        // the row is of another version).
        let mut stored: Vec<Option<(String, Option<Vec<PageViewForms>>)>> =
            vec![None; positions.len()];
        let decode = |session_id: &str, version: i64, body: rusqlite::types::ValueRef<'_>| {
            if version != FORM_FACTS_VERSION {
                return Ok(None);
            }
            let failed = |detail: String| StoreError::Decode {
                session_id: session_id.to_owned(),
                detail: format!("form facts: {detail}"),
            };
            let body = body.as_blob().map_err(|e| failed(e.to_string()))?;
            postcard::from_bytes::<Vec<PageViewForms>>(body)
                .map(Some)
                .map_err(|e| failed(e.to_string()))
        };
        if positions.len() * 4 < index.len() {
            // A few of the sessions (a page's visitors): one lookup each.
            let mut stmt = self.conn.prepare_cached(
                "SELECT s.session_id, f.version, f.body
                 FROM form_facts f JOIN sessions s ON s.session_rowid = f.session_rowid
                 WHERE f.session_rowid = ?1",
            )?;
            for (slot, &position) in positions.iter().enumerate() {
                let mut rows = stmt.query([index.rowid(position)])?;
                if let Some(row) = rows.next()? {
                    let session_id: String = row.get(0)?;
                    let views = decode(&session_id, row.get(1)?, row.get_ref(2)?)?;
                    if let Some(entry) = stored.get_mut(slot) {
                        *entry = Some((session_id, views));
                    }
                }
            }
        } else {
            // Most of them: one pass over the table.
            let mut stmt = self.conn.prepare(
                "SELECT f.session_rowid, s.session_id, f.version, f.body
                 FROM form_facts f JOIN sessions s ON s.session_rowid = f.session_rowid",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let Some(&slot) = wanted.get(&row.get::<_, i64>(0)?) else {
                    continue;
                };
                let session_id: String = row.get(1)?;
                let views = decode(&session_id, row.get(2)?, row.get_ref(3)?)?;
                if let Some(entry) = stored.get_mut(slot) {
                    *entry = Some((session_id, views));
                }
            }
        }
        let mut out = Vec::with_capacity(positions.len());
        for (&position, entry) in positions.iter().zip(stored) {
            let (device, channel, _) = index.facts(position);
            match entry {
                Some((session_id, Some(views))) => out.push(assemble_session_forms(
                    &session_id,
                    device,
                    channel,
                    index.page_urls(position),
                    &views,
                    page,
                )),
                // No current row: imported before form facts were kept, or by an older build.
                _ => {
                    let session = self.load_session_by_rowid(index.rowid(position))?;
                    out.push(session_forms(&session, page));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{GenerateOptions, generate_session};
    use crate::format::Loaded;
    use crate::store::{SessionQueries, Store};

    fn library_of(n: usize) -> (Library, Vec<crate::model::Session>) {
        let mut library = Library::open_in_memory().unwrap();
        let options = GenerateOptions::default();
        let sessions: Vec<_> = (0..n).map(|i| generate_session(&options, i)).collect();
        let loaded = Loaded {
            sessions: sessions.clone(),
            ..Loaded::default()
        };
        library.insert_loaded("demo", &loaded).unwrap();
        (library, sessions)
    }

    /// What the trait's default (every body read) answers.
    fn from_bodies(
        library: &Library,
        filter: &SessionFilter,
        page: Option<&UrlPattern>,
    ) -> Vec<SessionForms> {
        let narrowed = crate::analysis::forms::sessions_for_page(filter, page);
        library
            .list_sessions(&narrowed, SessionSort::OldestFirst, 0, u64::MAX)
            .unwrap()
            .iter()
            .map(|row| session_forms(&library.load_session(&row.session_id).unwrap(), page))
            .collect()
    }

    fn sorted_pages(mut facts: Vec<SessionForms>) -> Vec<SessionForms> {
        for f in &mut facts {
            f.pages.sort();
        }
        facts
    }

    #[test]
    fn stored_facts_equal_the_bodies_for_any_page_and_filter() {
        let (library, _) = library_of(120);
        let checkout = UrlPattern::new("/checkout*");
        let mobile = SessionFilter {
            device: Some(crate::model::DeviceClass::Mobile),
            ..SessionFilter::default()
        };
        let mut with_forms = 0;
        for (filter, page) in [
            (SessionFilter::default(), None),
            (SessionFilter::default(), Some(&checkout)),
            (mobile.clone(), Some(&checkout)),
            (mobile, None),
        ] {
            let stored = library.form_facts(&filter, page).unwrap();
            with_forms += stored.iter().filter(|s| !s.forms.is_empty()).count();
            assert_eq!(
                sorted_pages(stored),
                sorted_pages(from_bodies(&library, &filter, page))
            );
        }
        assert!(with_forms > 0, "the demo sessions use no form");
    }

    #[test]
    fn sessions_without_a_current_row_are_derived_from_their_body() {
        let (library, _) = library_of(60);
        let before = library.forms(&SessionFilter::default(), None).unwrap();
        assert!(!before.forms.is_empty());
        // An older row version and a missing row (a library imported before schema 9).
        library
            .conn
            .execute_batch(
                "UPDATE form_facts SET version = 0, body = x'ff' WHERE session_rowid % 3 = 0;
                 DELETE FROM form_facts WHERE session_rowid % 3 = 1;",
            )
            .unwrap();
        let after = library.forms(&SessionFilter::default(), None).unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn named_forms_merge_and_names_are_checked() {
        let (library, _) = library_of(80);
        let filter = SessionFilter::default();
        let plain = library.forms(&filter, None).unwrap();
        let first = plain.forms.first().unwrap().clone();
        assert!(library.form_names().unwrap().is_empty());
        assert!(
            library
                .set_form_name(&first.page, &first.form, Some("  Checkout  "))
                .unwrap()
        );
        let named = library.forms(&filter, None).unwrap();
        let table = named.forms.first().unwrap();
        assert_eq!(table.name.as_deref(), Some("Checkout"));
        assert_eq!(table.started, first.started);
        let members: Vec<String> = table.members.iter().map(ToString::to_string).collect();
        assert_eq!(members, [format!("{} on {}", first.form, first.page)]);
        // A second form given the same name merges into the first.
        library
            .set_form_name("/other.html", "#other", Some("Checkout"))
            .unwrap();
        assert_eq!(library.form_names().unwrap().len(), 2);
        // Bad names are refused and change nothing.
        for bad in ["", "   ", "a\u{7}b"] {
            assert!(
                library
                    .set_form_name(&first.page, &first.form, Some(bad))
                    .is_err()
            );
        }
        assert!(
            library
                .set_form_name(&first.page, &first.form, Some(&"x".repeat(81)))
                .is_err()
        );
        assert!(
            library
                .set_form_name(&first.page, &first.form, None)
                .unwrap()
        );
        assert!(
            !library
                .set_form_name(&first.page, &first.form, None)
                .unwrap()
        );
        assert_eq!(library.form_names().unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_row_is_an_error_naming_the_session() {
        let (library, sessions) = library_of(10);
        library
            .conn
            .execute_batch("UPDATE form_facts SET body = x'ffffffffff'")
            .unwrap();
        let err = library
            .form_facts(&SessionFilter::default(), None)
            .unwrap_err()
            .to_string();
        assert!(
            sessions.iter().any(|s| err.contains(&s.session_id)),
            "{err}"
        );
        assert!(err.contains("form facts"), "{err}");
    }
}
