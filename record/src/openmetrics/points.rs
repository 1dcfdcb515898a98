//! One series' points, from the interval it first appeared in: a fixed number of values per
//! interval (one for a counter or a gauge, every bucket and the sum for a histogram).

/// A series' values, `width` per interval from interval `first` on; NaN is a value not
/// sampled (an empty cell of `metrics.csv`).
#[derive(Debug, Clone)]
pub(super) struct Points {
    first: u32,
    width: usize,
    values: Vec<f64>,
}

impl Points {
    /// A series whose first point will be interval `first`'s.
    pub(super) fn new(first: u32, width: usize) -> Self {
        Points {
            first,
            width,
            values: Vec::new(),
        }
    }

    /// Adds the next interval's values.
    pub(super) fn push(&mut self, values: impl IntoIterator<Item = f64>) {
        let before = self.values.len();
        self.values.extend(values);
        assert_eq!(
            self.values.len() - before,
            self.width,
            "one point is `width` values"
        );
    }

    /// Each interval's index and values, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (usize, &[f64])> {
        let first = self.first as usize;
        self.values
            .chunks_exact(self.width)
            .enumerate()
            .map(move |(index, values)| (first + index, values))
    }
}

#[cfg(test)]
mod tests {
    use super::Points;

    #[test]
    fn points_come_back_with_their_interval() {
        let mut points = Points::new(3, 2);
        points.push([1.0, 2.0]);
        points.push([3.0, 4.0]);
        let back: Vec<(usize, Vec<f64>)> = points
            .iter()
            .map(|(index, values)| (index, values.to_vec()))
            .collect();
        assert_eq!(back, vec![(3, vec![1.0, 2.0]), (4, vec![3.0, 4.0])]);
    }
}
