//! Did a special campaign (专项整治) work, or did crime move next door? The statistics of a
//! before/after comparison of counts:
//!
//! - [`rate_ratio`]: the rate after over the rate before, with the exact conditional test of
//!   equal rates (given the total, the count after is binomial with p = days after / all days;
//!   two-sided as SciPy's `binomtest` and R's `poisson.test`: the probabilities no likelier than
//!   the one observed, with the same 1 + 1e-7 tolerance) and the 95 % interval from the
//!   Clopper–Pearson interval of that binomial proportion;
//! - [`ratio_of_ratios`]: the target's rate ratio over a control area's (difference in
//!   differences on the log scale) with its Wald interval and p-value;
//! - [`displacement`]: the weighted displacement quotient of Bowers & Johnson (2003) for a
//!   buffer around the target, and what it means.
//!
//! Checked against SciPy on fixed counts (`reference/campaign_scipy.py`).

use crate::normal::two_sided_p;

/// Two-sided 95 %: the standard normal's 0.975 quantile.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Below this many incidents in all (before and after) a comparison is too small to conclude.
pub const MIN_COUNT: u64 = 20;

/// ln Γ(x) for x > 0 (Lanczos, as in *Numerical Recipes*, 3rd ed., `gammln`; about 1e-15
/// relative). The coefficients keep the digits as published.
#[allow(clippy::excessive_precision)]
pub fn ln_gamma(x: f64) -> f64 {
    const COF: [f64; 14] = [
        57.156_235_665_862_923_5,
        -59.597_960_355_475_491_2,
        14.136_097_974_741_747_1,
        -0.491_913_816_097_620_199,
        0.339_946_499_848_118_887e-4,
        0.465_236_289_270_485_756e-4,
        -0.983_744_753_048_795_646e-4,
        0.158_088_703_224_912_494e-3,
        -0.210_264_441_724_104_883e-3,
        0.217_439_618_115_212_643e-3,
        -0.164_318_106_536_763_890e-3,
        0.844_182_239_838_527_433e-4,
        -0.261_908_384_015_814_087e-4,
        0.368_991_826_595_316_234e-5,
    ];
    let mut y = x;
    let tmp = x + 5.242_187_5;
    let tmp = (x + 0.5) * tmp.ln() - tmp;
    let mut ser = 0.999_999_999_999_997_092;
    for c in COF {
        y += 1.0;
        ser += c / y;
    }
    tmp + (2.506_628_274_631_000_5 * ser / x).ln()
}

/// P(X = k) for X ~ Binomial(n, p).
pub fn binomial_pmf(k: u64, n: u64, p: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let (k, n) = (k as f64, n as f64);
    let ln_choose = ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0);
    (ln_choose + k * p.ln() + (n - k) * (-p).ln_1p()).exp()
}

/// P(X ≤ k) for X ~ Binomial(n, p), summed from the nearer tail.
pub fn binomial_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    let mean = n as f64 * p;
    if (k as f64) < mean {
        (0..=k).map(|i| binomial_pmf(i, n, p)).sum::<f64>().min(1.0)
    } else {
        (1.0 - (k + 1..=n).map(|i| binomial_pmf(i, n, p)).sum::<f64>()).max(0.0)
    }
}

/// Two-sided p-value of the exact binomial test of `k` successes in `n` with probability `p`:
/// the total probability of the outcomes no likelier than `k` (SciPy's `binomtest` and R's
/// `binom.test`, relative tolerance 1e-7).
pub fn binomial_test(k: u64, n: u64, p: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let d = binomial_pmf(k, n, p);
    if (k as f64 - n as f64 * p).abs() < 1e-12 {
        return 1.0;
    }
    let limit = d * (1.0 + 1e-7);
    (0..=n).map(|i| binomial_pmf(i, n, p)).filter(|&q| q <= limit).sum::<f64>().min(1.0)
}

/// The Clopper–Pearson (exact) `1 − alpha` interval of a binomial proportion, `k` of `n`.
pub fn clopper_pearson(k: u64, n: u64, alpha: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    // Lower: P(X ≥ k | x) = alpha/2; upper: P(X ≤ k | x) = alpha/2. Both tails are monotone in x.
    let lower = if k == 0 { 0.0 } else { solve(|x| 1.0 - binomial_cdf(k - 1, n, x) - alpha / 2.0, true) };
    let upper = if k == n { 1.0 } else { solve(|x| binomial_cdf(k, n, x) - alpha / 2.0, false) };
    (lower, upper)
}

/// The root in (0, 1) of `f`, increasing in x when `increasing`, by bisection to the last bit.
fn solve(f: impl Fn(f64) -> f64, increasing: bool) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if (f(mid) < 0.0) == increasing {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// A rate ratio (after ÷ before) and its test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRatio {
    /// Incidents before.
    pub before: u64,
    /// Days before.
    pub before_days: f64,
    /// Incidents after (during the campaign, or since it began).
    pub after: u64,
    /// Days after.
    pub after_days: f64,
    /// (after / after_days) ÷ (before / before_days); `None` with nothing before.
    pub ratio: Option<f64>,
    /// Lower end of the 95 % interval.
    pub ci_low: f64,
    /// Upper end (`None`: unbounded, nothing before).
    pub ci_high: Option<f64>,
    /// Two-sided p-value of equal rates.
    pub p_value: f64,
    /// Fewer than [`MIN_COUNT`] incidents in all: too small to conclude.
    pub too_few: bool,
}

/// The rate ratio of `after` in `after_days` over `before` in `before_days`, tested exactly.
pub fn rate_ratio(before: u64, before_days: f64, after: u64, after_days: f64) -> RateRatio {
    let n = before + after;
    let share = after_days / (after_days + before_days);
    let p_value = binomial_test(after, n, share);
    let (lo, hi) = clopper_pearson(after, n, 0.05);
    let scale = before_days / after_days;
    let to_ratio = |p: f64| if p >= 1.0 { None } else { Some(p / (1.0 - p) * scale) };
    RateRatio {
        before,
        before_days,
        after,
        after_days,
        ratio: (before > 0).then(|| (after as f64 / after_days) / (before as f64 / before_days)),
        ci_low: to_ratio(lo).unwrap_or(0.0),
        ci_high: if n == 0 { None } else { to_ratio(hi) },
        p_value,
        too_few: n < MIN_COUNT,
    }
}

/// The target's rate ratio over the control's (equal periods on both sides).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioOfRatios {
    /// (target after / before) ÷ (control after / before).
    pub ratio: f64,
    /// Lower end of the 95 % Wald interval on the log scale.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Two-sided p-value of a ratio of 1.
    pub p_value: f64,
}

/// The ratio of the rate ratios of a target and a control area, each `(before, after)` over
/// the same periods; `None` when a count is 0 (the log scale has no interval then).
pub fn ratio_of_ratios(target: (u64, u64), control: (u64, u64)) -> Option<RatioOfRatios> {
    let counts = [target.0, target.1, control.0, control.1];
    if counts.contains(&0) {
        return None;
    }
    let [tb, ta, cb, ca] = counts.map(|c| c as f64);
    let log_ratio = ((ta / tb) / (ca / cb)).ln();
    let se = (1.0 / tb + 1.0 / ta + 1.0 / cb + 1.0 / ca).sqrt();
    Some(RatioOfRatios {
        ratio: log_ratio.exp(),
        ci_low: (log_ratio - Z_975 * se).exp(),
        ci_high: (log_ratio + Z_975 * se).exp(),
        p_value: two_sided_p(log_ratio / se),
    })
}

/// What a weighted displacement quotient says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Displacement {
    /// The target did not fall relative to the control: there is no effect to displace.
    NoEffect,
    /// WDQ > 1: the buffer fell even more than the target (diffusion of benefits beyond the
    /// direct effect).
    DiffusionBeyond,
    /// 0 < WDQ ≤ 1: the buffer fell too (diffusion of benefits).
    Diffusion,
    /// WDQ = 0 (within 0.05): the buffer did not change relative to the control.
    Neither,
    /// −1 ≤ WDQ < 0: some crime moved to the buffer, less than the target's fall (net benefit).
    DisplacementLess,
    /// WDQ < −1: more crime moved to the buffer than the target lost (net harm).
    DisplacementMore,
}

/// The weighted displacement quotient of one buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wdq {
    /// Success measure: Ra/Ca − Rb/Cb (negative: the target fell relative to the control).
    pub success: f64,
    /// Displacement measure: Da/Ca − Db/Cb (positive: the buffer rose relative to the control).
    pub displacement: f64,
    /// displacement ÷ success; `None` when the target did not fall (success ≥ 0).
    pub wdq: Option<f64>,
    /// Incidents prevented in target and buffer together, against the control's trend:
    /// (Rb·Ca/Cb − Ra) + (Db·Ca/Cb − Da) (Bowers & Johnson's total net effect).
    pub net_effect: f64,
    /// The reading.
    pub reading: Displacement,
}

/// Bowers & Johnson's (2003) weighted displacement quotient of the buffer `buffer` around the
/// target `target` against the control `control`, each `(before, after)`; `None` when the
/// control has no incident in a period.
pub fn displacement(target: (u64, u64), buffer: (u64, u64), control: (u64, u64)) -> Option<Wdq> {
    if control.0 == 0 || control.1 == 0 {
        return None;
    }
    let f = |c: u64| c as f64;
    let (rb, ra, db, da, cb, ca) = (f(target.0), f(target.1), f(buffer.0), f(buffer.1), f(control.0), f(control.1));
    let success = ra / ca - rb / cb;
    let displacement = da / ca - db / cb;
    let wdq = (success < 0.0).then(|| displacement / success);
    let reading = match wdq {
        None => Displacement::NoEffect,
        Some(w) if w > 1.0 => Displacement::DiffusionBeyond,
        Some(w) if w > 0.05 => Displacement::Diffusion,
        Some(w) if w >= -0.05 => Displacement::Neither,
        Some(w) if w >= -1.0 => Displacement::DisplacementLess,
        Some(_) => Displacement::DisplacementMore,
    };
    let net_effect = (rb * ca / cb - ra) + (db * ca / cb - da);
    Some(Wdq { success, displacement, wdq, net_effect, reading })
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // the reference tables, as the script prints them
mod tests {
    use super::*;

    include!("../reference/campaign_scipy.rs");

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300) || (a - b).abs() < 1e-15
    }

    #[test]
    fn ln_gamma_equals_pythons() {
        for (x, want) in LGAMMA {
            let got = ln_gamma(x);
            assert!((got - want).abs() <= 1e-13 * want.abs().max(1.0), "lgamma({x}) = {got}, Python {want}");
        }
    }

    #[test]
    fn the_exact_test_and_interval_equal_scipys() {
        for (before, before_days, after, after_days, p, lo, hi) in EXACT {
            let r = rate_ratio(before, before_days, after, after_days);
            let case = format!("{before} in {before_days} d → {after} in {after_days} d");
            assert!(close(r.p_value, p, 1e-9), "{case}: p {} vs SciPy {p}", r.p_value);
            assert!(close(r.ci_low, lo, 1e-9), "{case}: low {} vs SciPy {lo}", r.ci_low);
            match r.ci_high {
                None => assert!(hi.is_infinite(), "{case}: unbounded vs SciPy {hi}"),
                Some(h) => assert!(close(h, hi, 1e-9), "{case}: high {h} vs SciPy {hi}"),
            }
        }
    }

    #[test]
    fn ratios_are_rates_over_rates() {
        let r = rate_ratio(300, 120.0, 260, 60.0);
        assert!((r.ratio.unwrap() - (260.0 / 60.0) / (300.0 / 120.0)).abs() < 1e-12);
        assert!(!r.too_few);
        let none_before = rate_ratio(0, 30.0, 5, 30.0);
        assert_eq!((none_before.ratio, none_before.ci_high, none_before.too_few), (None, None, true));
        assert_eq!(rate_ratio(5, 30.0, 0, 30.0).ratio, Some(0.0));
        let nothing = rate_ratio(0, 30.0, 0, 30.0);
        assert_eq!((nothing.p_value, nothing.ci_low, nothing.ci_high), (1.0, 0.0, None));
    }

    #[test]
    fn the_ratio_of_ratios_equals_scipys_wald_interval() {
        for (target, control, ratio, lo, hi, p) in RATIO_OF_RATIOS {
            let r = ratio_of_ratios(target, control).unwrap();
            assert!(close(r.ratio, ratio, 1e-12) && close(r.ci_low, lo, 1e-9) && close(r.ci_high, hi, 1e-9), "{r:?}");
            assert!(close(r.p_value, p, 1e-9), "{target:?} {control:?}: p {} vs SciPy {p}", r.p_value);
        }
        assert_eq!(ratio_of_ratios((0, 3), (10, 10)), None);
    }

    #[test]
    fn the_displacement_quotient_reads_as_bowers_and_johnson() {
        // Target 100 → 60, control 1000 → 1000: success = 0.06 − 0.1 = −0.04.
        // Buffer 50 → 40: displacement = 0.04 − 0.05 = −0.01 → WDQ 0.25, diffusion of benefits.
        let w = displacement((100, 60), (50, 40), (1000, 1000)).unwrap();
        assert!((w.success + 0.04).abs() < 1e-12 && (w.displacement + 0.01).abs() < 1e-12);
        assert!((w.wdq.unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(w.reading, Displacement::Diffusion);
        assert!((w.net_effect - 50.0).abs() < 1e-9, "40 in the target and 10 in the buffer prevented");
        // Buffer 50 → 70: displacement +0.02 → WDQ −0.5: some moved, less than was gained.
        assert_eq!(displacement((100, 60), (50, 70), (1000, 1000)).unwrap().reading, Displacement::DisplacementLess);
        // Buffer 50 → 100: +0.05 → WDQ −1.25: more moved than was gained.
        assert_eq!(displacement((100, 60), (50, 100), (1000, 1000)).unwrap().reading, Displacement::DisplacementMore);
        // Buffer 50 → 5: −0.045 → WDQ 1.125, beyond the direct effect.
        assert_eq!(displacement((100, 60), (50, 5), (1000, 1000)).unwrap().reading, Displacement::DiffusionBeyond);
        // The control fell as much as the target: no effect to displace.
        let w = displacement((100, 60), (50, 40), (1000, 600)).unwrap();
        assert_eq!((w.wdq, w.reading), (None, Displacement::NoEffect));
        assert_eq!(displacement((1, 1), (1, 1), (0, 5)), None);
    }
}
