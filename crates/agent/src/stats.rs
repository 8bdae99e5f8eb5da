//! Counters of one run, per source.

use std::collections::BTreeMap;

use serde::Serialize;

/// What a source did: lines in, events out, and every kind of line that did not become an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceStats {
    pub files: u64,
    pub lines: u64,
    pub bytes_in: u64,
    pub events: u64,
    /// Lines the profile's ignore rules call noise.
    pub ignored: u64,
    pub dead_letters: u64,
    /// Dead letters by kind (`parse`, `unmapped`, ...).
    pub dead_letters_by_kind: BTreeMap<String, u64>,
    pub truncated: u64,
    pub invalid_utf8: u64,
    pub objects: u64,
    pub uploaded: u64,
    pub bytes_out: u64,
    pub spool_corrupt: u64,
    /// Files whose first line is not complete yet, left for a later run.
    pub files_waiting: u64,
    /// Files found shorter than their checkpoint (truncated) and read again from the start.
    pub files_truncated: u64,
    /// Bytes of partial last lines held back, waiting for their newline (the live agent; `--once`
    /// takes the end of a file as the end of its last line).
    pub partial_bytes: u64,
    /// Last lines without a newline that were archived, flagged `unterminated`.
    pub unterminated: u64,
    /// Files whose unread bytes were lost (deleted, compressed or truncated before they were
    /// read): one loss-ledger record each.
    pub files_lost: u64,
    /// Of `files_lost`, those whose size was not recorded (so the bytes lost are unknown).
    pub files_lost_size_unknown: u64,
    /// Bytes known lost in those files (a lower bound: see the loss ledger).
    pub unread_bytes_lost: u64,
    /// Alerts fired by this source's events (archived as `system.alert.fire` events).
    pub alerts: u64,
    /// Lines whose event time was outside the source's time window, by the policy applied
    /// (`keep`, `observed`, `dead_letter`).
    pub time_out_of_range: BTreeMap<String, u64>,
    /// The profile's column fields whose paths resolved on none of the lines mapped
    /// (`` fields.actor_email = `user.mail` ``): per source, not added into a total.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub never_resolved: Vec<String>,
    /// Events whose action is not in the catalog.
    pub uncatalogued_events: u64,
    /// Those events by action, with the tier they were routed to (the first
    /// [`MAX_NAMED_ACTIONS`] actions seen; the rest are only counted in `uncatalogued_events`):
    /// per source, not added into a total.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub uncatalogued_actions: BTreeMap<String, RoutedAction>,
    /// Values the profile's columns could not take (an outcome in no known spelling, a source
    /// IP that is no address), by column; each is kept in the event's `attributes.unconverted`.
    pub unconverted: BTreeMap<String, u64>,
    /// Events whose application event id an earlier event of the same batch already had.
    pub duplicate_event_ids: u64,
}

/// How many distinct uncatalogued actions a source's counters name.
pub const MAX_NAMED_ACTIONS: usize = 256;

/// Events of one action outside the catalog, and where they went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoutedAction {
    pub events: u64,
    pub tier: String,
}

impl SourceStats {
    pub(crate) fn dead_letter(&mut self, kind: &str) {
        self.dead_letters += 1;
        *self
            .dead_letters_by_kind
            .entry(kind.to_string())
            .or_default() += 1;
    }

    /// Counts an event whose action is not in the catalog, routed to `tier`.
    pub(crate) fn uncatalogued_action(&mut self, action: &str, tier: &str) {
        self.uncatalogued_events += 1;
        if let Some(r) = self.uncatalogued_actions.get_mut(action) {
            r.events += 1;
        } else if self.uncatalogued_actions.len() < MAX_NAMED_ACTIONS {
            self.uncatalogued_actions.insert(
                action.to_owned(),
                RoutedAction {
                    events: 1,
                    tier: tier.to_owned(),
                },
            );
        }
    }

    pub(crate) fn time_out_of_range(&mut self, policy: &str) {
        *self
            .time_out_of_range
            .entry(policy.to_string())
            .or_default() += 1;
    }

    /// Lines whose event time was outside the window, whatever the policy.
    pub fn time_out_of_range_total(&self) -> u64 {
        self.time_out_of_range.values().sum()
    }

    /// Adds another source's counters to these.
    pub fn add(&mut self, o: &SourceStats) {
        self.files += o.files;
        self.lines += o.lines;
        self.bytes_in += o.bytes_in;
        self.events += o.events;
        self.ignored += o.ignored;
        self.dead_letters += o.dead_letters;
        for (k, v) in &o.dead_letters_by_kind {
            *self.dead_letters_by_kind.entry(k.clone()).or_default() += v;
        }
        self.truncated += o.truncated;
        self.invalid_utf8 += o.invalid_utf8;
        self.objects += o.objects;
        self.uploaded += o.uploaded;
        self.bytes_out += o.bytes_out;
        self.spool_corrupt += o.spool_corrupt;
        self.files_waiting += o.files_waiting;
        self.files_truncated += o.files_truncated;
        self.partial_bytes += o.partial_bytes;
        self.unterminated += o.unterminated;
        self.files_lost += o.files_lost;
        self.files_lost_size_unknown += o.files_lost_size_unknown;
        self.unread_bytes_lost += o.unread_bytes_lost;
        self.alerts += o.alerts;
        for (k, v) in &o.time_out_of_range {
            *self.time_out_of_range.entry(k.clone()).or_default() += v;
        }
        self.uncatalogued_events += o.uncatalogued_events;
        for (k, v) in &o.unconverted {
            *self.unconverted.entry(k.clone()).or_default() += v;
        }
        self.duplicate_event_ids += o.duplicate_event_ids;
    }
}
