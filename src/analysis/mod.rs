//! Analysis over sessions: summaries and aggregation. Pure functions, no I/O, no egui.
