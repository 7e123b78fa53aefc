//! The one random number generator of early warning: the scans' Monte Carlo replications and
//! the evaluation's synthetic city draw from it, so a seed gives the same answer on every
//! platform and in every release.
//!
//! SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014)
//! is eight lines, passes BigCrush, and its output is fixed forever, which a library's
//! generator is not: a changed `rand` would change every figure in `docs/early-warning.md`.
//! The draws on top of it (uniform, bounded, normal, Poisson, gamma) are the textbook ones,
//! each named where it is written.

/// SplitMix64: small, fast and the same everywhere.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..bound` (`bound` > 0), without modulo bias (Lemire's method).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = (self.next() as u128) * (bound as u128);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// A standard normal draw (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// A Poisson draw of mean `mean`: Knuth's product of uniforms for the small means a cell
    /// has, a rounded normal past 30 where that is exact enough for counting reports.
    pub(crate) fn poisson(&mut self, mean: f64) -> u32 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 30.0 {
            return (mean + mean.sqrt() * self.normal()).round().max(0.0) as u32;
        }
        let limit = (-mean).exp();
        let mut product = self.unit();
        let mut count = 0;
        while product > limit {
            count += 1;
            product *= self.unit();
        }
        count
    }

    /// A gamma draw of shape `shape` ≥ 1 and scale 1 (Marsaglia and Tsang, "A simple method
    /// for generating gamma variables", 2000); divide by a rate for other scales.
    pub(crate) fn gamma(&mut self, shape: f64) -> f64 {
        let d = shape.max(1.0) - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = 1.0 - self.unit();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn the_first_outputs_are_the_published_ones() {
        // The reference implementation's first outputs for seed 0 (Vigna's splitmix64.c).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn the_draws_have_their_distributions_means_and_variances() {
        let mut rng = SplitMix64::new(7);
        let n = 200_000;
        let mean_var = |xs: &[f64]| {
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            (m, xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64)
        };
        let poisson: Vec<f64> = (0..n).map(|_| f64::from(rng.poisson(2.5))).collect();
        let (m, v) = mean_var(&poisson);
        assert!((m - 2.5).abs() < 0.02 && (v - 2.5).abs() < 0.05, "Poisson(2.5): {m} {v}");
        let gamma: Vec<f64> = (0..n).map(|_| rng.gamma(3.0)).collect();
        let (m, v) = mean_var(&gamma);
        assert!((m - 3.0).abs() < 0.02 && (v - 3.0).abs() < 0.06, "Gamma(3): {m} {v}");
        let below: Vec<f64> = (0..n).map(|_| rng.below(6) as f64).collect();
        let (m, v) = mean_var(&below);
        assert!((m - 2.5).abs() < 0.02 && (v - 35.0 / 12.0).abs() < 0.05, "uniform 0..6: {m} {v}");
    }
}
