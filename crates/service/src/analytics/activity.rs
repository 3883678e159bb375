//! Activity per month, folded from the change log (needs posted, needs marked matched) and
//! the outbox (introductions proposed and accepted, and the days from a need's posting to its
//! first accepted introduction).

use chrono::{Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Count, Disclosure, Month, median};
use crate::params::{bad_param, check_param_length};
use crate::{Actor, Result, Service};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityParams {
    /// `month`, the only interval (default).
    #[param(example = "month")]
    pub interval: Option<String>,
    /// The first month, `YYYY-MM` (default: the first with activity).
    #[param(example = "2026-01")]
    pub from: Option<String>,
    /// The last month, `YYYY-MM` (default: this month).
    #[param(example = "2026-12")]
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`, in UTC.
    #[schema(example = "2026-11")]
    pub month: String,
    pub needs_posted: Count,
    pub introductions_proposed: Count,
    pub introductions_accepted: Count,
    /// Needs their requester marked matched.
    pub needs_matched: Count,
    /// Of the needs whose first introduction was accepted this month: the median days from
    /// posting to that acceptance. Null with none, or when fewer than `min_cell` and the
    /// viewer is not an admin.
    pub median_days_to_first_acceptance: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Activity {
    #[schema(example = "month")]
    pub interval: String,
    /// The change-log sequence number the figures reflect.
    pub as_of_seq: i64,
    /// Counts below this show as "<N" to everyone but admins.
    pub min_cell: u32,
    /// Every month from `from` to `to`, oldest first (months without activity count 0).
    pub months: Vec<MonthFigures>,
}

fn parse_month(name: &str, raw: Option<&str>) -> Result<Option<(i32, u32)>> {
    check_param_length(name, raw, 7)?;
    let Some(raw) = raw else { return Ok(None) };
    let bad = || bad_param(name, format!("{name} is a month as YYYY-MM, e.g. 2026-11; got '{raw}'"));
    let (y, m) = raw.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if y.to_string().len() != 4 || m == 0 || m > 12 {
        return Err(bad());
    }
    Ok(Some((y, m)))
}

fn next(month: (i32, u32)) -> (i32, u32) {
    if month.1 == 12 { (month.0 + 1, 1) } else { (month.0, month.1 + 1) }
}

impl Service {
    /// Activity per month as `viewer` may see it (see [`Activity`]).
    pub fn activity(&self, p: &ActivityParams, viewer: Option<&Actor>) -> Result<Activity> {
        check_param_length("interval", p.interval.as_deref(), 20)?;
        if let Some(i) = p.interval.as_deref().filter(|i| *i != "month") {
            return Err(bad_param("interval", format!("interval is month (the only one); got '{i}'")));
        }
        let now = Utc::now();
        let this_month = (now.year(), now.month());
        let from = parse_month("from", p.from.as_deref())?;
        let to = parse_month("to", p.to.as_deref())?.unwrap_or(this_month);
        if from.is_some_and(|f| f > to) {
            return Err(bad_param("from", "from is after to".into()));
        }
        let d = Disclosure::for_viewer(self.analytics.min_cell, viewer);
        let f = self.analytics.read();
        let first = from.or_else(|| f.months.keys().next().copied()).unwrap_or(to);
        let empty = Month::default();
        let mut months = Vec::new();
        let mut m = first;
        // At most 100 years of months.
        while m <= to && months.len() < 1200 {
            let x = f.months.get(&m).unwrap_or(&empty);
            let mut days = x.days_to_first_acceptance.clone();
            months.push(MonthFigures {
                month: format!("{:04}-{:02}", m.0, m.1),
                needs_posted: d.needs(x.needs_posted),
                introductions_proposed: d.needs(x.introductions_proposed),
                introductions_accepted: d.needs(x.introductions_accepted),
                needs_matched: d.needs(x.needs_matched),
                median_days_to_first_acceptance: if d.shows(days.len() as u64) { median(&mut days) } else { None },
            });
            m = next(m);
        }
        Ok(Activity { interval: "month".into(), as_of_seq: f.seq, min_cell: self.analytics.min_cell, months })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_as_yyyy_mm() {
        assert_eq!(parse_month("from", Some("2026-11")).ok().flatten(), Some((2026, 11)));
        for bad in ["2026-13", "2026-0", "26-11", "2026", "2026-xx", "november"] {
            assert!(parse_month("from", Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(next((2026, 12)), (2027, 1));
    }
}
