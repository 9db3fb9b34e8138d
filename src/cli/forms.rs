//! `sessionlens forms`: per form and per field in order, reach, use, time, refills, errors and
//! abandonment, with the submit rate, by device and source; as text, JSON or CSV.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use super::FilterArgs;
use super::commands::session_filter;
use crate::analysis::forms::{FieldRow, FormTable, FormsReport, MAX_FORMS};
use crate::analysis::journeys::percent;
use crate::model::UrlPattern;
use crate::store::open_store;

/// `forms`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FormsArgs {
    /// Name forms, merge them, list names.
    #[command(subcommand)]
    pub command: Option<FormsCommand>,
    /// Session filters. `--page` also limits the forms to the page views whose URL matches it
    /// (exact URL or pattern like `/checkout*`).
    #[command(flatten)]
    pub filter: FilterArgs,
    /// One JSON object (the whole report, with example sessions per field).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV: a row per form, per field, and per field and segment (device, source).
    #[arg(long)]
    pub csv: bool,
}

/// `forms name`, `forms unname`, `forms names`.
#[derive(Debug, clap::Subcommand)]
pub enum FormsCommand {
    /// Give a form a name; forms given the same name are merged into one table (say, the
    /// checkout form of the desktop and of the mobile site).
    ///
    /// Example: `sessionlens forms name --page /checkout.html --form '#checkout-form' Checkout`
    Name {
        /// The form's page, as the form table lists it (a URL path).
        #[arg(long)]
        page: String,
        /// The form, as the form table lists it (`#id`, `form[name=…]` or its selector).
        #[arg(long)]
        form: String,
        /// The name (up to 80 characters).
        name: String,
    },
    /// Remove a form's name (it is no longer merged with the forms of that name).
    ///
    /// Example: `sessionlens forms unname --page /checkout.html --form '#checkout-form'`
    Unname {
        /// The form's page, as the form table lists it.
        #[arg(long)]
        page: String,
        /// The form, as the form table lists it.
        #[arg(long)]
        form: String,
    },
    /// List the names given to forms (page, form, name; tab-separated, or `--json`).
    Names {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `forms`.
pub fn run(library_path: &Path, args: &FormsArgs) -> anyhow::Result<ExitCode> {
    if let Some(command) = &args.command {
        return run_names(library_path, command);
    }
    let filter = session_filter(&args.filter)?;
    let page = args.filter.page.as_deref().map(UrlPattern::new);
    let library = open_store(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    let report = library
        .forms(&filter, page.as_ref())
        .context("computing the form tables")?;
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "page": args.filter.page,
                "report": report,
            }))?
        );
    } else if args.csv {
        print_csv(&report)?;
    } else {
        print_text(&report, args.filter.page.as_deref())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run_names(library_path: &Path, command: &FormsCommand) -> anyhow::Result<ExitCode> {
    let library = open_store(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    match command {
        FormsCommand::Name { page, form, name } => {
            library
                .set_form_name(page, form, Some(name))
                .with_context(|| format!("naming the form {form} on {page}"))?;
            let names = library.form_names()?;
            let merged: Vec<String> = names
                .iter()
                .filter(|n| n.name == name.trim() && !(n.page == *page && n.form == *form))
                .map(|n| format!("{} on {}", n.form, n.page))
                .collect();
            if merged.is_empty() {
                outln!("{form} on {page} is now named {:?}", name.trim());
            } else {
                outln!(
                    "{form} on {page} is now named {:?}, merged with {}",
                    name.trim(),
                    merged.join(", ")
                );
            }
        }
        FormsCommand::Unname { page, form } => {
            if library
                .set_form_name(page, form, None)
                .with_context(|| format!("removing the name of the form {form} on {page}"))?
            {
                outln!("{form} on {page} has no name now");
            } else {
                anyhow::bail!("{form} on {page} has no name (see `sessionlens forms names`)");
            }
        }
        FormsCommand::Names { json } => {
            let names = library.form_names()?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&names)?);
            } else {
                for n in &names {
                    outln!("{}\t{}\t{}", n.page, n.form, n.name);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

use crate::format::csv::field as csv_field;

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn print_csv(report: &FormsReport) -> anyhow::Result<()> {
    outln!(
        "row,page,form,segment,field_index,field,kind,viewed,started,submitted,reached,interacted,changed,time_median_ms,time_p90_ms,refills,refill_sessions,errors,error_sessions,abandoned_here,form_name"
    );
    for t in &report.forms {
        let (page, form) = (csv_field(&t.page), csv_field(&t.form));
        let name = csv_field(t.name.as_deref().unwrap_or(""));
        outln!(
            "form,{page},{form},all,,,,{},{},{},,,,,,,,,,{},{name}",
            t.viewed,
            t.started,
            t.submitted,
            t.abandoned
        );
        for (i, r) in t.fields.iter().enumerate() {
            outln!(
                "field,{page},{form},all,{},{},{},,,,{},{},{},{},{},{},{},{},{},{},{name}",
                i + 1,
                csv_field(&r.key),
                csv_field(&r.kind),
                r.reached,
                r.interacted,
                r.changed,
                opt(r.time_median_ms),
                opt(r.time_p90_ms),
                r.refills,
                r.refill_sessions,
                r.errors,
                r.error_sessions,
                r.abandoned_here
            );
        }
        for g in &t.segments {
            let segment = csv_field(&format!("{}={}", g.dimension, g.label));
            outln!(
                "form,{page},{form},{segment},,,,{},{},{},,,,,,,,,,,{name}",
                g.viewed,
                g.started,
                g.submitted
            );
            for (i, (r, c)) in t.fields.iter().zip(&g.fields).enumerate() {
                outln!(
                    "field,{page},{form},{segment},{},{},{},,,,{},{},,,,,,,{},{},{name}",
                    i + 1,
                    csv_field(&r.key),
                    csv_field(&r.kind),
                    c.reached,
                    c.interacted,
                    c.error_sessions,
                    c.abandoned_here
                );
            }
        }
    }
    Ok(())
}

fn seconds(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "–".to_owned(),
        |ms| format!("{:.1} s", ms as f64 / 1000.0),
    )
}

fn field_line(i: usize, r: &FieldRow, started: u64) -> String {
    let name: String = r.key.chars().take(28).collect();
    format!(
        "  {:>3} {:<28} {:<16} {:>8} {:>8} {:>10} {:>8} {:>7} {:>7} {:>8} {:>9}",
        i + 1,
        name,
        r.kind,
        format!("{} {}", r.reached, percent(r.reached, started)),
        r.interacted,
        seconds(r.time_median_ms),
        seconds(r.time_p90_ms),
        r.refills,
        r.errors,
        r.error_sessions,
        r.abandoned_here
    )
}

fn print_form(t: &FormTable) -> anyhow::Result<()> {
    let title = match &t.name {
        Some(name) => {
            let members: Vec<String> = t.members.iter().map(ToString::to_string).collect();
            format!("{name:?}: {}", members.join(" + "))
        }
        None => format!("{} on {}", t.form, t.page),
    };
    outln!(
        "\nForm {title}{}",
        if t.form_fields > 0 {
            format!(" ({} fields in the form)", t.form_fields)
        } else {
            String::new()
        }
    );
    outln!(
        "  viewed {}  started {}  submitted {} ({} of started)  submit attempts {} by {} sessions  abandoned {}",
        t.viewed,
        t.started,
        t.submitted,
        percent(t.submitted, t.started),
        t.attempts,
        t.attempted,
        t.abandoned
    );
    if t.fields.is_empty() {
        outln!("  no field of this form was used (only submit clicks were seen)");
        return Ok(());
    }
    outln!(
        "  {:>3} {:<28} {:<16} {:>8} {:>8} {:>10} {:>8} {:>7} {:>7} {:>8} {:>9}",
        "#",
        "field",
        "kind",
        "reached",
        "used",
        "time med",
        "p90",
        "refills",
        "errors",
        "err sess",
        "abandoned"
    );
    for (i, r) in t.fields.iter().enumerate() {
        outln!("{}", field_line(i, r, t.started));
    }
    if t.folded_fields > 0 {
        outln!(
            "  the form has more fields than shown: the last row gathers {} fields",
            t.folded_fields
        );
    }
    for dimension in ["device", "source"] {
        let parts: Vec<String> = t
            .segments
            .iter()
            .filter(|g| g.dimension == dimension)
            .map(|g| {
                let worst = t
                    .fields
                    .iter()
                    .zip(&g.fields)
                    .filter(|(_, c)| c.abandoned_here > 0)
                    .max_by_key(|(_, c)| c.abandoned_here)
                    .map(|(r, c)| format!(", most left at {} ({})", r.key, c.abandoned_here))
                    .unwrap_or_default();
                format!(
                    "{} viewed {} started {} submitted {} ({}){worst}",
                    g.label,
                    g.viewed,
                    g.started,
                    g.submitted,
                    percent(g.submitted, g.started)
                )
            })
            .collect();
        if !parts.is_empty() {
            outln!("  by {dimension}: {}", parts.join(" | "));
        }
    }
    Ok(())
}

fn print_text(report: &FormsReport, page: Option<&str>) -> anyhow::Result<()> {
    outln!(
        "Forms of {} sessions{}: {} forms{}",
        report.sessions,
        page.map(|p| format!(" on {p}")).unwrap_or_default(),
        report.forms.len(),
        if report.folded_forms > 0 {
            format!(
                " (the {MAX_FORMS} most used; {} more left out)",
                report.folded_forms
            )
        } else {
            String::new()
        }
    );
    if report.forms.is_empty() {
        outln!(
            "No form use in these sessions. Forms are found by the rrweb reader (docs/FORMS.md); \
             libraries imported before it knew forms need `sessionlens rebuild-library`."
        );
    }
    for t in &report.forms {
        print_form(t)?;
    }
    Ok(())
}
