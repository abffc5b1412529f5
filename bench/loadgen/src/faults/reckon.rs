//! `faults report`: per phase, how many requests failed, hung or were slow, and whether every acknowledged
//! write is in the database exactly once.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ReportArgs, TIMEOUT};

/// One line of the records file, as `faults run` writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub t0: f64,
    pub t1: f64,
    /// `read` or `write`.
    pub kind: String,
    pub phase: String,
    /// An HTTP status (a number) or `"error: ..."`.
    pub status: Value,
    /// Writes only.
    #[serde(default)]
    pub title: Option<String>,
}

impl Record {
    fn is_read(&self) -> bool {
        self.kind == "read"
    }

    fn status_is(&self, code: u64) -> bool {
        self.status.as_u64() == Some(code)
    }

    /// The status as text: `200`, or the error's text.
    fn status_text(&self) -> String {
        match &self.status {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// The figures of one phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Phase {
    pub reads: u64,
    /// Reads not answered 200.
    pub failed_reads: u64,
    pub writes: u64,
    /// Writes answered 201.
    pub acked_writes: u64,
    /// Writes not answered 201.
    pub failed_writes: u64,
    /// Acknowledged writes whose title is not in the database.
    pub lost_writes: u64,
    /// Writes (acknowledged or not) whose title is in the database more than once.
    pub duplicate_writes: u64,
    /// Writes not acknowledged whose title is in the database all the same.
    pub unacked_in_db: u64,
    /// Requests that took at least the timeout less half a second, or ended in a timeout.
    pub hung: u64,
    pub max_latency_s: f64,
    /// "KIND STATUS" → count.
    pub statuses: BTreeMap<String, u64>,
    /// Start of the first failed request of the phase (epoch seconds).
    pub failures_from: Option<f64>,
    /// End of the last failed request of the phase (epoch seconds).
    pub failures_until: Option<f64>,
}

/// The whole report; phases in the order they first appear in the records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub phases: Vec<(String, Phase)>,
    /// Titles of this run in the database that no write of the records asked for.
    pub titles_in_db_not_written: u64,
}

impl Report {
    #[cfg(test)]
    pub fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|(n, _)| n == name).map(|(_, p)| p)
    }
}

/// Serialized as `{"phases": {NAME: {...}, ...}, "titles_in_db_not_written": N}`, phases in their order.
impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Phases<'a>(&'a [(String, Phase)]);
        impl Serialize for Phases<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (name, phase) in self.0 {
                    map.serialize_entry(name, phase)?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("phases", &Phases(&self.phases))?;
        map.serialize_entry("titles_in_db_not_written", &self.titles_in_db_not_written)?;
        map.end()
    }
}

/// The records of a file; lines that are not a whole record (one cut short when the load was stopped) are
/// skipped.
pub fn parse_records(text: &str) -> Vec<Record> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// How often each title is in the database (one title a line; blank lines skipped).
pub fn parse_titles(text: &str) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for line in text.split('\n').filter(|l| !l.trim().is_empty()) {
        *counts.entry(line.to_string()).or_default() += 1;
    }
    counts
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Reckons the records against the titles in the database.
pub fn reckon(records: &[Record], in_db: &HashMap<String, u64>) -> Report {
    let mut report = Report::default();
    let hung_from = TIMEOUT.as_secs_f64() - 0.5;
    for r in records {
        let index = match report.phases.iter().position(|(name, _)| *name == r.phase) {
            Some(i) => i,
            None => {
                report.phases.push((r.phase.clone(), Phase::default()));
                report.phases.len() - 1
            }
        };
        let p = &mut report.phases[index].1;
        let latency = r.t1 - r.t0;
        let status = r.status_text();
        let hung = latency >= hung_from || status.contains("imeout") || status.contains("timed out");
        p.hung += u64::from(hung);
        p.max_latency_s = round3(p.max_latency_s.max(latency));
        *p.statuses.entry(format!("{} {status}", r.kind)).or_default() += 1;
        if !r.status_is(if r.is_read() { 200 } else { 201 }) {
            p.failures_from = Some(p.failures_from.map_or(r.t0, |t| t.min(r.t0)));
            p.failures_until = Some(p.failures_until.map_or(r.t1, |t| t.max(r.t1)));
        }
        if r.is_read() {
            p.reads += 1;
            p.failed_reads += u64::from(!r.status_is(200));
        } else {
            p.writes += 1;
            let n = r.title.as_ref().and_then(|t| in_db.get(t)).copied().unwrap_or(0);
            p.duplicate_writes += u64::from(n > 1);
            if r.status_is(201) {
                p.acked_writes += 1;
                p.lost_writes += u64::from(n == 0);
            } else {
                p.failed_writes += 1;
                p.unacked_in_db += u64::from(n > 0);
            }
        }
    }
    let written: HashSet<&str> = records.iter().filter(|r| !r.is_read()).filter_map(|r| r.title.as_deref()).collect();
    report.titles_in_db_not_written = in_db.keys().filter(|t| !written.contains(t.as_str())).count() as u64;
    report
}

/// One line per phase, for people.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    for (name, p) in &report.phases {
        let statuses: Vec<String> = p.statuses.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        out.push_str(&format!(
            "  {name:<10} {:4} reads ({} failed), {:4} writes ({} acknowledged, {} failed, {} lost, {} duplicated, \
             {} unacknowledged but stored), {} hung, slowest {:.2} s; {}\n",
            p.reads,
            p.failed_reads,
            p.writes,
            p.acked_writes,
            p.failed_writes,
            p.lost_writes,
            p.duplicate_writes,
            p.unacked_in_db,
            p.hung,
            p.max_latency_s,
            statuses.join(", ")
        ));
    }
    out
}

pub fn main(args: &ReportArgs) -> Result<(), String> {
    let read = |path: &std::path::Path| std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()));
    let records = parse_records(&read(&args.records)?);
    let in_db = parse_titles(&read(&args.db_titles)?);
    let report = reckon(&records, &in_db);
    eprint!("{}", summary(&report));
    println!("{}", serde_json::to_string(&report).expect("the report serializes"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(phase: &str, t0: f64, t1: f64, status: Value) -> String {
        serde_json::json!({"t0": t0, "t1": t1, "kind": "read", "phase": phase, "status": status}).to_string()
    }

    fn write(phase: &str, t0: f64, status: Value, title: &str) -> String {
        serde_json::json!({"t0": t0, "t1": t0 + 0.01, "kind": "write", "phase": phase, "status": status,
                           "title": title})
        .to_string()
    }

    fn reckon_text(records: &[String], db: &str) -> Report {
        reckon(&parse_records(&records.join("\n")), &parse_titles(db))
    }

    #[test]
    fn acknowledged_writes_lost_or_stored_twice_are_counted() {
        let records = [
            write("r1", 1.0, 201.into(), "run-1"),                       // stored once: fine
            write("r1", 1.1, 201.into(), "run-2"),                       // acknowledged, not stored: lost
            write("r1", 1.2, 201.into(), "run-3"),                       // stored twice: duplicate
            write("r1", 1.3, 503.into(), "run-4"),                       // failed, not stored: fine
            write("r1", 1.4, "error: connection reset".into(), "run-5"), // failed but stored
            write("r1", 1.5, 502.into(), "run-6"),                       // failed, stored twice: a duplicate too
        ];
        let r = reckon_text(&records, "run-1\nrun-3\nrun-3\nrun-5\nrun-6\nrun-6\nrun-99\n\n");
        let p = r.phase("r1").unwrap();
        assert_eq!((p.writes, p.acked_writes, p.failed_writes), (6, 3, 3));
        assert_eq!((p.lost_writes, p.duplicate_writes, p.unacked_in_db), (1, 2, 2));
        assert_eq!((p.reads, p.failed_reads), (0, 0));
        assert_eq!(r.titles_in_db_not_written, 1, "run-99 was never written");
    }

    #[test]
    fn failures_are_counted_per_phase_with_their_window() {
        let records = [
            read("warmup", 0.5, 0.6, 200.into()),
            read("r2", 10.0, 10.1, 200.into()),
            read("r2", 11.0, 11.2, 503.into()),
            write("r2", 11.5, 503.into(), "run-1"),
            read("r2", 12.0, 13.5, "error: connect: Connection refused (os error 111)".into()),
            read("r2", 14.0, 14.1, 200.into()),
            read("r8", 20.0, 20.1, 200.into()),
        ];
        let r = reckon_text(&records, "");
        let names: Vec<&str> = r.phases.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["warmup", "r2", "r8"], "phases in the order they appear");
        let r2 = r.phase("r2").unwrap();
        assert_eq!((r2.reads, r2.failed_reads, r2.failed_writes), (4, 2, 1));
        assert_eq!((r2.failures_from, r2.failures_until), (Some(11.0), Some(13.5)));
        assert_eq!(r2.max_latency_s, 1.5);
        assert_eq!(r2.statuses["read 200"], 2);
        assert_eq!(r2.statuses["read 503"], 1);
        assert_eq!(r2.statuses["write 503"], 1);
        assert_eq!(r2.statuses["read error: connect: Connection refused (os error 111)"], 1);
        for quiet in ["warmup", "r8"] {
            let p = r.phase(quiet).unwrap();
            assert_eq!((p.failed_reads, p.failures_from, p.failures_until), (0, None, None));
        }
    }

    #[test]
    fn a_status_other_than_the_success_of_its_kind_is_a_failure() {
        // 201 is no success for a read, 200 none for a write, and "200" as text is none either.
        let records = [
            read("p", 1.0, 1.1, 201.into()),
            read("p", 2.0, 2.1, "200".into()),
            write("p", 3.0, 200.into(), "run-1"),
            write("p", 4.0, 201.into(), "run-2"),
        ];
        let r = reckon_text(&records, "run-1\nrun-2\n");
        let p = r.phase("p").unwrap();
        assert_eq!((p.failed_reads, p.failed_writes, p.acked_writes, p.unacked_in_db), (2, 1, 1, 1));
        assert_eq!((p.failures_from, p.failures_until), (Some(1.0), Some(3.01)));
    }

    #[test]
    fn hung_requests_are_slow_or_timed_out() {
        let records = [
            read("r2", 0.0, 7.6, 200.into()),
            read("r2", 0.0, 7.4, 503.into()),
            read("r2", 0.0, 1.0, "error: timed out after 8 s".into()),
            read("r2", 0.0, 1.0, "error: Timeout".into()),
        ];
        let p = reckon_text(&records, "").phases.remove(0).1;
        assert_eq!(p.hung, 3);
        assert_eq!(p.max_latency_s, 7.6);
    }

    #[test]
    fn a_line_cut_short_is_skipped() {
        let mut text = [read("r1", 1.0, 1.1, 200.into()), write("r1", 2.0, 201.into(), "run-1")].join("\n");
        text.push_str("\n{\"t0\":3.0,\"t1\":3.1,\"kind\":\"re");
        let records = parse_records(&text);
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn the_json_keeps_the_keys_and_the_phase_order() {
        let records = [read("warmup", 1.0, 1.1, 200.into()), read("r1", 2.0, 2.5, 503.into())];
        let text = serde_json::to_string(&reckon_text(&records, "")).unwrap();
        assert!(text.find("warmup").unwrap() < text.find("r1").unwrap(), "{text}");
        let json: Value = serde_json::from_str(&text).unwrap();
        let r1 = &json["phases"]["r1"];
        let keys: Vec<&str> = r1.as_object().unwrap().keys().map(String::as_str).collect();
        for key in [
            "reads",
            "failed_reads",
            "writes",
            "acked_writes",
            "failed_writes",
            "lost_writes",
            "duplicate_writes",
            "unacked_in_db",
            "hung",
            "max_latency_s",
            "statuses",
            "failures_from",
            "failures_until",
        ] {
            assert!(keys.contains(&key), "{key} missing: {keys:?}");
        }
        assert_eq!(r1["failures_from"], 2.0);
        assert_eq!(r1["statuses"]["read 503"], 1);
        assert_eq!(json["phases"]["warmup"]["failures_from"], Value::Null);
        assert_eq!(json["titles_in_db_not_written"], 0);
    }

    #[test]
    fn summary_has_a_line_per_phase() {
        let records = [read("warmup", 1.0, 1.1, 200.into()), write("r1", 2.0, 201.into(), "run-1")];
        let s = summary(&reckon_text(&records, ""));
        assert_eq!(s.lines().count(), 2);
        assert!(s.contains("r1            0 reads (0 failed),    1 writes (1 acknowledged, 0 failed, 1 lost"), "{s}");
    }
}
