//! The evaluation's own checks: an obvious cluster is found at once by every method, a flat
//! background raises no more false signals than the methods' nominal rates allow, and a seed
//! gives one report. Small cities and few shuffles, so they run in a second in debug.

use super::*;

/// A small study: 60 cells over 21 days, 19 shuffles (so the scan can say at most RI 20).
fn small() -> EvaluationSettings {
    EvaluationSettings {
        cells: 60,
        days: 21,
        clusters: 3,
        replications: 19,
        scan_recurrence_days: vec![20.0],
        cusum_h: vec![4.0],
        ewma_sigmas: vec![3.0],
        ..EvaluationSettings::default()
    }
}

#[test]
fn an_obvious_cluster_is_found_by_every_method_at_once() {
    let settings = EvaluationSettings { size: 60, length: 3, ..small() };
    let report = evaluate(&settings).unwrap();
    assert_eq!(report.methods.len(), 4);
    assert_eq!(report.injected.len(), 3);
    for method in &report.methods {
        assert_eq!(method.hits, 3, "{} {} missed a cluster of 60 a day", method.method, method.threshold);
        assert!(
            method.mean_delay_days.unwrap() <= 1.0,
            "{} {} took {:?} days",
            method.method,
            method.threshold,
            method.mean_delay_days
        );
        assert!((method.hit_rate - 1.0).abs() < 1e-12);
    }
}

#[test]
fn a_flat_background_stays_near_the_nominal_false_rate() {
    let settings = EvaluationSettings { clusters: 0, days: 28, ..small() };
    let report = evaluate(&settings).unwrap();
    assert!(report.injected.is_empty());
    // About 0.3 × 60 = 18 reports a day, a little fewer over weekends and holidays.
    assert!((10.0..25.0).contains(&report.mean_daily_reports), "{}", report.mean_daily_reports);
    let cell_days = (settings.cells as u32 * settings.days) as usize;
    for method in &report.methods {
        assert_eq!(method.hits, 0);
        let bound = match method.method {
            // One scan a day with at most one most likely cluster at p = 1/20 by chance: about
            // 1.4 in 28 days (secondary clusters are conservative); 6 would mean a broken scan.
            "scan" | "ebp" => 6,
            // In control, a chart at h = 4 or 3σ alarms rarely in a Poisson cell; one alarm in
            // 50 cell-days would mean the chart or its baseline is off.
            _ => cell_days / 50,
        };
        assert!(
            method.false_signals <= bound,
            "{} {}: {} false signals over {} cell-days",
            method.method,
            method.threshold,
            method.false_signals,
            cell_days
        );
    }
}

#[test]
fn one_seed_gives_one_report_and_another_seed_another() {
    let settings = EvaluationSettings { seed: 7, ..small() };
    let first = evaluate(&settings).unwrap();
    assert_eq!(first, evaluate(&settings).unwrap());
    let other = evaluate(&EvaluationSettings { seed: 8, ..settings }).unwrap();
    assert_ne!(first.injected, other.injected);
}

#[test]
fn bad_settings_are_refused_by_name() {
    let refused = |settings: EvaluationSettings| evaluate(&settings).unwrap_err();
    assert_eq!(refused(EvaluationSettings { cells: 3, ..small() }), EvaluationError::Cells(3));
    assert_eq!(
        refused(EvaluationSettings { spread: 61, ..small() }),
        EvaluationError::Spread { spread: 61, cells: 60 }
    );
    assert_eq!(
        refused(EvaluationSettings { length: 22, ..small() }),
        EvaluationError::Length { length: 22, days: 21 }
    );
    assert_eq!(refused(EvaluationSettings { replications: 5, ..small() }), EvaluationError::Replications(5));
    assert_eq!(
        refused(EvaluationSettings { cusum_h: vec![0.0], ..small() }),
        EvaluationError::Threshold(0.0)
    );
}

#[test]
fn delays_and_false_signals_are_counted_as_documented() {
    // Two clusters: one signalled on its second day, one never; two new signals elsewhere and
    // one continuing the first.
    let clusters = vec![
        InjectedCluster { class: 0, cells: vec![0, 1], start: 2, length: 3 },
        InjectedCluster { class: 0, cells: vec![5], start: 4, length: 1 },
    ];
    let mut tally = Tally::new("cusum", "h=4".to_owned(), 10, 1, clusters.len());
    tally.signal(0, &[8], 0, &clusters, 2);
    tally.end_of_day();
    tally.signal(0, &[8], 1, &clusters, 2);
    tally.end_of_day();
    tally.end_of_day();
    tally.signal(0, &[1], 3, &clusters, 2);
    tally.end_of_day();
    // Cell 5 after the cluster's day and its grace: a false signal, not a hit.
    tally.end_of_day();
    tally.end_of_day();
    tally.end_of_day();
    tally.signal(0, &[5], 7, &clusters, 2);
    let report = tally.report(&clusters, 1, 61);
    assert_eq!(report.hits, 1);
    assert_eq!(report.median_delay_days, Some(1.0));
    assert_eq!(report.hits_within_2_days, 1);
    assert_eq!(report.false_signals, 2);
    assert!((report.false_per_district_month - 2.0 / (61.0 / MONTH_DAYS)).abs() < 1e-12);
}

#[test]
fn the_demo_shares_follow_the_seed_s_zipf_weights_over_the_shipped_taxonomy() {
    let shares = demo_class_shares().unwrap();
    let classes: Vec<&str> = shares.iter().map(|share| share.class.as_str()).collect();
    assert_eq!(classes, ["C01", "C02", "C03", "C04", "C05", "E01", "E02", "E03", "E04", "E05", "E06"]);
    assert!((shares.iter().map(|share| share.share).sum::<f64>() - 1.0).abs() < 1e-12);
    // C01 holds the taxonomy's first 9 of 60 categories: H(9) / H(60), by hand 2.828968 /
    // 4.679870 = 0.604497.
    let harmonic = |n: u32| (1..=n).map(|k| 1.0 / f64::from(k)).sum::<f64>();
    assert!((harmonic(9) / harmonic(60) - 0.604497).abs() < 1e-6);
    assert!((shares[0].share - 0.604497).abs() < 1e-6, "{}", shares[0].share);
}

#[test]
fn a_signal_finds_and_continues_only_in_its_own_class() {
    let clusters = vec![InjectedCluster { class: 1, cells: vec![0, 1], start: 2, length: 3 }];
    let mut tally = Tally::new("ebp", "RI>=50".to_owned(), 10, 2, clusters.len());
    // Class 0 on the cluster's cells and days: not the cluster's kind of problem, so false.
    tally.signal(0, &[0], 2, &clusters, 2);
    tally.end_of_day();
    // Class 1 on the same cell the next day: a new signal (not the one of class 0 grown), and
    // it finds the cluster on its second day.
    tally.signal(1, &[0], 3, &clusters, 2);
    tally.end_of_day();
    // Class 0 again: its last signal was two days ago, so this one is new, and false.
    tally.signal(0, &[0], 4, &clusters, 2);
    tally.end_of_day();
    // Class 0 continuing yesterday's: not counted again.
    tally.signal(0, &[0, 4], 5, &clusters, 2);
    let report = tally.report(&clusters, 1, 30);
    assert_eq!(report.hits, 1);
    assert_eq!(report.median_delay_days, Some(1.0));
    assert_eq!(report.false_signals, 2);
}

#[test]
fn clusters_fall_into_classes_by_their_shares_and_are_found_in_them() {
    let settings =
        EvaluationSettings { size: 60, length: 3, classes: demo_class_shares().unwrap(), ..small() };
    let report = evaluate(&settings).unwrap();
    assert!(report.injected.iter().all(|cluster| cluster.class < settings.classes.len()));
    for method in &report.methods {
        assert_eq!(method.hits, 3, "{} {} missed a cluster of 60 a day", method.method, method.threshold);
    }
    // Over many draws the classes come up about as often as their shares say: C01 (60 %) in
    // 600 ± 50 of 1,000 (about 3.2 standard deviations).
    let mut rng = SplitMix64::new(11);
    let c01 = (0..1_000).filter(|_| pick_class(&mut rng, &settings.classes) == 0).count();
    assert!((550..=650).contains(&c01), "{c01}");
    // The split keeps the background's size: about 18 reports a day over all classes.
    assert!((10.0..25.0).contains(&report.mean_daily_reports), "{}", report.mean_daily_reports);
}

#[test]
fn shares_that_do_not_add_up_are_refused() {
    let classes = vec![
        ClassShare { class: "C01".to_owned(), share: 0.5 },
        ClassShare { class: "E01".to_owned(), share: 0.4 },
    ];
    assert_eq!(
        evaluate(&EvaluationSettings { classes, ..small() }).unwrap_err(),
        EvaluationError::Shares(vec![0.5, 0.4])
    );
    assert_eq!(
        evaluate(&EvaluationSettings { classes: Vec::new(), ..small() }).unwrap_err(),
        EvaluationError::Shares(Vec::new())
    );
}
