//! Overhead measured in pairs: how many times longer a call takes through wasmux than through
//! the engine's own API, with both timed within the same sample.
//!
//! Timed one after the other, as two criterion benchmarks, the two cases are seconds apart, and
//! this shared machine drifts by more than the 5 % the overhead target allows. Here each sample
//! alternates chunks of the two calls and keeps the quotient of their times, so drift that
//! lasts longer than a chunk cancels out.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// A criterion measurement whose value is a ratio of times, not a time.
///
/// Only [`ratio`] makes its values (through `Bencher::iter_custom`); a benchmark that used
/// `Bencher::iter` with it would measure nothing meaningful, so `start` and `end` refuse.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ratio;

impl Measurement for Ratio {
    type Intermediate = ();
    type Value = f64;

    fn start(&self) {
        panic!("a Ratio is measured with `iter_custom` and `paired::ratio` only");
    }

    fn end(&self, (): ()) -> f64 {
        panic!("a Ratio is measured with `iter_custom` and `paired::ratio` only");
    }

    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }

    fn zero(&self) -> f64 {
        0.0
    }

    fn to_f64(&self, value: &f64) -> f64 {
        *value
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &RatioFormatter
    }
}

struct RatioFormatter;

impl ValueFormatter for RatioFormatter {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "×"
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        _: &Throughput,
        _values: &mut [f64],
    ) -> &'static str {
        "×"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ratio"
    }
}

/// Makes `iters` calls of `subject` and as many of `baseline`, alternating in chunks of
/// `chunk` calls, and returns `iters` times the quotient of their times: criterion divides a
/// sample's value by its iterations, so each sample's estimate is the quotient itself.
///
/// A chunk should last long enough that reading the clock is negligible, and well under the
/// machine's drift: tens of microseconds. Which call goes first alternates, so neither always
/// runs just after the switch.
pub fn ratio(
    iters: u64,
    chunk: u64,
    subject: &mut impl FnMut() -> i64,
    baseline: &mut impl FnMut() -> i64,
) -> f64 {
    let mut subject_time = Duration::ZERO;
    let mut baseline_time = Duration::ZERO;
    let mut left = iters;
    let mut subject_first = true;
    while left > 0 {
        let calls = left.min(chunk);
        if subject_first {
            subject_time += timed(calls, subject);
            baseline_time += timed(calls, baseline);
        } else {
            baseline_time += timed(calls, baseline);
            subject_time += timed(calls, subject);
        }
        subject_first = !subject_first;
        left -= calls;
    }
    iters as f64 * subject_time.as_secs_f64() / baseline_time.as_secs_f64()
}

fn timed(calls: u64, call: &mut impl FnMut() -> i64) -> Duration {
    let start = Instant::now();
    for _ in 0..calls {
        black_box(call());
    }
    start.elapsed()
}
