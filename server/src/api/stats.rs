//! `GET /api/stats?region=&from=&to=&category=`: counts by category, by local day, the hour ×
//! weekday matrix, the busiest cells and how concentrated incidents are.

use super::DEFAULT_WINDOW_DAYS;
use super::error::AppError;
use super::params::Params;
use crate::auth::Caller;
use crate::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::Duration;
use model::api::{CategoryCount, CellCount, DayCount, Stats};
use model::time::{civil_from_days, local_day_unix, local_hour_weekday_unix};
use model::{Category, Status};

/// Fewest cells holding half of `counts`' total (0 when the total is 0).
pub fn cells_holding_half(counts: &[u32]) -> u64 {
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return 0;
    }
    let mut sorted: Vec<u32> = counts.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut acc = 0u64;
    for (k, c) in sorted.iter().enumerate() {
        acc += u64::from(*c);
        if acc * 2 >= total {
            return k as u64 + 1;
        }
    }
    sorted.len() as u64
}

pub async fn stats(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Json<Stats>, AppError> {
    let mut p = Params::parse(q.as_deref());
    let mut query = p.incident_query(false)?;
    p.finish()?;
    let to = query.to.unwrap_or(s.clock.now());
    let from = query.from.unwrap_or(to - Duration::days(DEFAULT_WINDOW_DAYS));
    (query.from, query.to) = (Some(from), Some(to));
    let filter = query.filter(&s.geography, &caller.scope)?;
    let first_day = local_day_unix(from.timestamp());
    let last_day = local_day_unix((to.timestamp() - 1).max(from.timestamp()));
    let n_days = (last_day - first_day + 1).clamp(0, 3_700) as usize;
    let mut by_category = vec![0u64; Category::count()];
    let mut by_day = vec![0u64; n_days];
    let mut hour_weekday = vec![[0u64; 7]; 24];
    let mut total = 0u64;
    let mut open = 0u64;
    let n_cells = s.geography.cells().len();
    let mut per_cell = vec![0u32; n_cells];
    s.for_each_incident(&filter, |p| {
        total += 1;
        if p.status != Status::Closed {
            open += 1;
        }
        by_category[usize::from(p.category.index())] += 1;
        let d = local_day_unix(p.occurred_s) - first_day;
        if let Some(slot) = usize::try_from(d).ok().and_then(|d| by_day.get_mut(d)) {
            *slot += 1;
        }
        let (h, w) = local_hour_weekday_unix(p.occurred_s);
        hour_weekday[h as usize][w as usize] += 1;
        per_cell[p.cell as usize] += 1;
    })
    .await?;
    let range = filter.cells.clone().unwrap_or(0..n_cells as u32);
    let in_view: Vec<u32> = range.filter(|i| filter.scope.contains(*i)).collect();
    let region_counts: Vec<u32> = in_view.iter().map(|&i| per_cell[i as usize]).collect();
    let holding_half = cells_holding_half(&region_counts);
    let mut top: Vec<(u32, u32)> = in_view.iter().map(|&i| (i, per_cell[i as usize])).filter(|(_, c)| *c > 0).collect();
    top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    let cells_total = region_counts.len() as u64;
    Ok(Json(Stats {
        total,
        open,
        by_category: Category::all()
            .iter()
            .map(|c| CategoryCount { category: *c, count: by_category[usize::from(c.index())] })
            .collect(),
        by_day: by_day
            .iter()
            .enumerate()
            .map(|(d, count)| {
                let (y, m, day) = civil_from_days(first_day + d as i64);
                DayCount { date: format!("{y:04}-{m:02}-{day:02}"), count: *count }
            })
            .collect(),
        hour_weekday,
        top_cells: top
            .iter()
            .map(|&(i, c)| CellCount { cell_code: s.geography.cell_code(i), count: u64::from(c) })
            .collect(),
        cells_total,
        cells_holding_half: holding_half,
        share_of_cells_holding_half: if cells_total == 0 { 0.0 } else { holding_half as f64 / cells_total as f64 },
    }))
}

#[cfg(test)]
mod tests {
    use super::cells_holding_half;

    #[test]
    fn half_of_the_incidents() {
        assert_eq!(cells_holding_half(&[]), 0);
        assert_eq!(cells_holding_half(&[0, 0]), 0);
        assert_eq!(cells_holding_half(&[10, 0, 0, 0]), 1);
        assert_eq!(cells_holding_half(&[1, 1, 1, 1]), 2);
        assert_eq!(cells_holding_half(&[5, 3, 1, 1]), 1);
        assert_eq!(cells_holding_half(&[4, 3, 2, 1]), 2);
    }
}
