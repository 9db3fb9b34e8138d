use super::*;
use crate::model::{Event, EventKind, PagePos, PageView, PointerType};

const DT: f32 = 1.0 / 60.0;

/// Moves at 0–2 s, a 20 s gap, moves at 22–23 s; 25 s long.
fn session() -> Session {
    let mv = |t: i64| Event {
        timestamp_ms: t,
        page: 0,
        kind: EventKind::PointerMove {
            pos_in_page: PagePos { x: 1.0, y: 1.0 },
            pointer: PointerType::Mouse,
        },
    };
    Session {
        session_id: "p".to_owned(),
        started_at_ms: 100_000,
        duration_ms: 25_000,
        pages: vec![PageView {
            entered_at_ms: 100_000,
            left_at_ms: 125_000,
            ..PageView::default()
        }],
        events: [0, 500, 1000, 2000, 22_000, 22_500, 23_000]
            .iter()
            .map(|dt| mv(100_000 + dt))
            .collect(),
        ..Session::default()
    }
}

fn run(clock: &mut PlaybackClock, secs: f32) -> Vec<UpdateResponse> {
    (0..(secs / DT).round() as usize)
        .map(|_| clock.update(DT))
        .collect()
}

#[test]
fn finds_inactive_periods() {
    assert_eq!(
        inactive_periods(&session(), 10_000),
        vec![(102_000, 122_000)]
    );
    assert_eq!(inactive_periods(&session(), 30_000), vec![]);
    // The tail counts too.
    assert_eq!(
        inactive_periods(&session(), 1_000),
        vec![(102_000, 122_000), (123_000, 125_000)]
    );
}

#[test]
fn paused_clock_does_not_move_or_repaint() {
    let mut clock = PlaybackClock::new(&session(), DEFAULT_INACTIVITY_THRESHOLD_MS);
    assert!(run(&mut clock, 1.0).iter().all(|r| !r.needs_repaint));
    assert_eq!(clock.elapsed_ms(), 0);
}

#[test]
fn plays_at_speed_and_clamps_long_frames() {
    let mut clock = PlaybackClock::new(&session(), DEFAULT_INACTIVITY_THRESHOLD_MS);
    clock.apply(PlaybackCommand::SetSkipInactivity(false));
    clock.apply(PlaybackCommand::Play);
    let _ = run(&mut clock, 1.0);
    assert!(
        (999..=1001).contains(&clock.elapsed_ms()),
        "{}",
        clock.elapsed_ms()
    );
    clock.apply(PlaybackCommand::SetSpeed(4.0));
    let _ = run(&mut clock, 0.25);
    assert!(
        (1999..=2001).contains(&clock.elapsed_ms()),
        "{}",
        clock.elapsed_ms()
    );
    // A stalled 3 s frame advances only MAX_DT_SECS.
    clock.apply(PlaybackCommand::Seek(100_000));
    clock.apply(PlaybackCommand::SetSpeed(1.0));
    let _ = clock.update(3.0);
    assert_eq!(clock.elapsed_ms(), 100);
}

#[test]
fn skipping_jumps_to_one_second_before_the_next_activity() {
    let mut clock = PlaybackClock::new(&session(), DEFAULT_INACTIVITY_THRESHOLD_MS);
    clock.apply(PlaybackCommand::Seek(101_990));
    clock.apply(PlaybackCommand::Play);
    let responses = run(&mut clock, 0.1);
    assert!(
        responses
            .iter()
            .any(|r| r.skipped == Some((102_000, 122_000)))
    );
    assert!(
        (121_000..121_200).contains(&clock.current_ms()),
        "{}",
        clock.current_ms()
    );
    // With skipping off, idle time plays in real time.
    let mut clock = PlaybackClock::new(&session(), DEFAULT_INACTIVITY_THRESHOLD_MS);
    clock.apply(PlaybackCommand::SetSkipInactivity(false));
    clock.apply(PlaybackCommand::Seek(101_990));
    clock.apply(PlaybackCommand::Play);
    assert!(run(&mut clock, 0.5).iter().all(|r| r.skipped.is_none()));
    assert!(clock.current_ms() < 103_000);
}

#[test]
fn stops_at_the_end_and_restarts_on_play() {
    let mut clock = PlaybackClock::new(&session(), DEFAULT_INACTIVITY_THRESHOLD_MS);
    clock.apply(PlaybackCommand::Seek(124_950));
    clock.apply(PlaybackCommand::Play);
    let responses = run(&mut clock, 0.2);
    assert!(responses.iter().any(|r| r.reached_end));
    assert_eq!(clock.state(), PlayState::Paused);
    assert_eq!(clock.current_ms(), 125_000);
    clock.apply(PlaybackCommand::TogglePlay);
    assert_eq!(clock.state(), PlayState::Playing);
    assert_eq!(clock.current_ms(), 100_000);
}

#[test]
fn loops_over_the_selection() {
    let mut clock = PlaybackClock::new(&session(), DEFAULT_INACTIVITY_THRESHOLD_MS);
    clock.apply(PlaybackCommand::SetSelection(Some((100_800, 100_500))));
    assert_eq!(clock.selection(), Some((100_500, 100_800)));
    clock.apply(PlaybackCommand::SetLoop(LoopMode::Selection));
    clock.apply(PlaybackCommand::Play);
    assert_eq!(clock.current_ms(), 100_500);
    for _ in 0..200 {
        let _ = clock.update(DT);
        assert!(
            (100_500..=100_800).contains(&clock.current_ms()),
            "{}",
            clock.current_ms()
        );
    }
    assert_eq!(clock.state(), PlayState::Playing);
}

#[test]
fn speeds_step_and_clamp() {
    let mut clock = PlaybackClock::new(&session(), DEFAULT_INACTIVITY_THRESHOLD_MS);
    for _ in 0..10 {
        clock.apply(PlaybackCommand::Faster);
    }
    assert_eq!(clock.speed(), 16.0);
    for _ in 0..10 {
        clock.apply(PlaybackCommand::Slower);
    }
    assert_eq!(clock.speed(), 0.5);
    clock.apply(PlaybackCommand::SetSpeed(f32::NAN));
    assert_eq!(clock.speed(), 0.5);
    clock.apply(PlaybackCommand::SetSpeed(1000.0));
    assert_eq!(clock.speed(), 16.0);
    clock.apply(PlaybackCommand::SeekBy(-1_000_000));
    assert_eq!(clock.current_ms(), 100_000);
    clock.apply(PlaybackCommand::SeekBy(i64::MAX));
    assert_eq!(clock.current_ms(), 125_000);
}

proptest::proptest! {
    #[test]
    fn time_never_leaves_the_session_and_never_goes_back_while_playing(
        dts in proptest::collection::vec(0f32..0.5, 1..200),
        speed_index in 0usize..6,
        skip in proptest::bool::ANY,
    ) {
        let mut clock = PlaybackClock::new(&session(), DEFAULT_INACTIVITY_THRESHOLD_MS);
        clock.apply(PlaybackCommand::SetSpeed(SPEEDS[speed_index]));
        clock.apply(PlaybackCommand::SetSkipInactivity(skip));
        clock.apply(PlaybackCommand::Play);
        let mut last = clock.current_ms();
        for dt in dts {
            let _ = clock.update(dt);
            proptest::prop_assert!((100_000..=125_000).contains(&clock.current_ms()));
            proptest::prop_assert!(clock.current_ms() >= last);
            last = clock.current_ms();
        }
    }
}
