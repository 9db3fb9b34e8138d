//! The names users give forms in a ClickHouse library: one library setting
//! ([`FORM_NAMES_KEY`], a JSON list of `analysis::forms::FormName`), replaced as a whole by
//! each change (the last change wins when two analysts name forms at the same moment). Form
//! facts themselves are composed from session bodies (`Store::form_facts`'s default).

use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::forms::{FormName, valid_form_name};
use crate::store::StoreError;

/// The setting that holds the form names.
pub(crate) const FORM_NAMES_KEY: &str = "form_names";

impl ClickHouseLibrary {
    /// The names given to forms, by page then form.
    pub fn form_names(&self) -> Result<Vec<FormName>, ClickHouseError> {
        let settings = self.settings()?;
        let Some((json, _)) = settings.get(FORM_NAMES_KEY) else {
            return Ok(Vec::new());
        };
        if json.is_empty() {
            return Ok(Vec::new());
        }
        let mut names: Vec<FormName> = serde_json::from_str(json)
            .map_err(|e| self.client.decode_error(format!("stored form names: {e}")))?;
        names.sort();
        Ok(names)
    }

    /// Names a form, or removes its name with `None` (see `Store::set_form_name`).
    pub fn set_form_name(
        &self,
        page: &str,
        form: &str,
        name: Option<&str>,
    ) -> Result<bool, ClickHouseError> {
        self.writable()?;
        if page.is_empty() || form.is_empty() {
            return Err(StoreError::Invalid(
                "a form is named by its page and its form (both as the form table lists them)"
                    .to_owned(),
            )
            .into());
        }
        let mut names = self.form_names()?;
        let before = names.clone();
        names.retain(|n| !(n.page == page && n.form == form));
        if let Some(name) = name {
            let name = valid_form_name(name).map_err(StoreError::Invalid)?;
            names.push(FormName {
                page: page.to_owned(),
                form: form.to_owned(),
                name: name.to_owned(),
            });
            names.sort();
        }
        if names == before {
            return Ok(false);
        }
        let json = serde_json::to_string(&names)
            .map_err(|e| self.client.decode_error(format!("form names: {e}")))?;
        self.write_settings(&[(FORM_NAMES_KEY, json)], 0)?;
        Ok(true)
    }
}
