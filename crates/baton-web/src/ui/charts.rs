//! The SVG charts of the dashboard and the report pages, drawn on the
//! server: horizontal bars (with an optional mark, such as a forecast, on
//! each) and scatter plots. Each has a title and a description for screen
//! readers and its figures as a table (`chart_partial.html`).

use baton_core::text::shortened;

/// Width of the bar labels, of the longest bar and of one row, in SVG units.
pub const LABEL_WIDTH: i64 = 110;
const BAR_SPACE: i64 = 330;
const ROW_HEIGHT: i64 = 28;
/// The plotting area of a scatter plot, inside its margins.
const PLOT_WIDTH: i64 = 420;
const PLOT_HEIGHT: i64 = 240;
const PLOT_LEFT: i64 = 90;
const PLOT_TOP: i64 = 10;

pub struct Bar {
    pub label: String,
    pub shown: String,
    pub y: i64,
    pub width: i64,
    /// Where the bar's mark stands, from the start of the bar space.
    pub mark: Option<i64>,
}

pub struct Point {
    pub label: String,
    pub x: i64,
    pub y: i64,
}

/// A chart and the table of its figures: bars, or points when it is a
/// scatter plot.
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub description: String,
    pub height: i64,
    pub bars: Vec<Bar>,
    pub points: Vec<Point>,
    /// Scatter plots: what the axes measure.
    pub x_axis: String,
    pub y_axis: String,
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// One bar of a chart: its label, its length, an optional mark on the same
/// scale (a forecast beside an actual) and the figure written beside it.
pub struct Figure {
    pub label: String,
    pub value: i64,
    pub mark: Option<i64>,
    pub shown: String,
}

/// One point of a scatter plot and how the description names it.
pub struct Dot {
    pub label: String,
    pub x: i64,
    pub y: i64,
    pub shown: String,
}

/// Most characters of a bar's label that fit beside it; a longer label is
/// cut with an ellipsis (the description and the table keep it whole).
const LABEL_CHARS: usize = 14;

/// `label` cut to fit the label space.
fn fitted(label: &str) -> String {
    shortened(label, LABEL_CHARS)
}

/// A horizontal bar chart; bars and marks share the largest value's scale.
pub fn chart(
    id: &'static str,
    title: String,
    figures: Vec<Figure>,
    head: Vec<&'static str>,
    rows: Vec<Vec<String>>,
) -> Chart {
    let largest = figures
        .iter()
        .flat_map(|f| [f.value, f.mark.unwrap_or(0)])
        .max()
        .unwrap_or(0)
        .max(1);
    let description = figures
        .iter()
        .map(|f| format!("{}: {}", f.label, f.shown))
        .collect::<Vec<_>>()
        .join("; ");
    let bars = figures
        .into_iter()
        .zip(0..)
        .map(|(figure, row)| Bar {
            width: figure.value.max(0) * BAR_SPACE / largest,
            mark: figure.mark.map(|m| m.max(0) * BAR_SPACE / largest),
            label: fitted(&figure.label),
            shown: figure.shown,
            y: row * ROW_HEIGHT,
        })
        .collect::<Vec<_>>();
    Chart {
        id,
        title,
        description,
        height: bars.len() as i64 * ROW_HEIGHT + 4,
        bars,
        points: Vec::new(),
        x_axis: String::new(),
        y_axis: String::new(),
        head,
        rows,
    }
}

/// A scatter plot from 0 to the largest value on each axis.
pub fn scatter(
    id: &'static str,
    title: String,
    (x_axis, y_axis): (String, String),
    dots: Vec<Dot>,
    head: Vec<&'static str>,
    rows: Vec<Vec<String>>,
) -> Chart {
    let largest = |of: fn(&Dot) -> i64| dots.iter().map(of).max().unwrap_or(0).max(1);
    let (most_x, most_y) = (largest(|d| d.x), largest(|d| d.y));
    let description = dots
        .iter()
        .map(|d| format!("{}: {}", d.label, d.shown))
        .collect::<Vec<_>>()
        .join("; ");
    let points = dots
        .into_iter()
        .map(|dot| Point {
            x: PLOT_LEFT + dot.x.max(0) * PLOT_WIDTH / most_x,
            // SVG's y grows downwards: the largest value is at the top.
            y: PLOT_TOP + PLOT_HEIGHT - dot.y.max(0) * PLOT_HEIGHT / most_y,
            label: dot.label,
        })
        .collect();
    Chart {
        id,
        title,
        description,
        height: PLOT_TOP + PLOT_HEIGHT + 40,
        bars: Vec::new(),
        points,
        x_axis,
        y_axis,
        head,
        rows,
    }
}

impl Chart {
    /// Scatter plots: the corners of the plotting area, for the axes.
    pub fn left(&self) -> i64 {
        PLOT_LEFT
    }
    pub fn right(&self) -> i64 {
        PLOT_LEFT + PLOT_WIDTH
    }
    pub fn top(&self) -> i64 {
        PLOT_TOP
    }
    pub fn bottom(&self) -> i64 {
        PLOT_TOP + PLOT_HEIGHT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_are_cut_to_fit_beside_their_bars() {
        assert_eq!(fitted("Hunters"), "Hunters");
        assert_eq!(fitted("Fourteen chars"), "Fourteen chars");
        assert_eq!(fitted("Farmers (existing accounts)"), "Farmers (exis…");
        assert_eq!(fitted("Qualification and more"), "Qualification…");
    }

    #[test]
    fn bars_and_their_marks_are_as_long_as_their_share_of_the_largest() {
        let figure = |value: i64, mark: Option<i64>| Figure {
            label: value.to_string(),
            value,
            mark,
            shown: value.to_string(),
        };
        let drawn = chart(
            "c",
            "t".into(),
            vec![figure(10, Some(20)), figure(5, None), figure(0, None)],
            vec![],
            vec![],
        );
        let widths: Vec<i64> = drawn.bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, [BAR_SPACE / 2, BAR_SPACE / 4, 0]);
        assert_eq!(drawn.bars[0].mark, Some(BAR_SPACE));
        assert_eq!(drawn.description, "10: 10; 5: 5; 0: 0");
    }

    #[test]
    fn the_largest_point_sits_in_the_top_right_corner() {
        let dot = |x: i64, y: i64| Dot {
            label: format!("{x},{y}"),
            x,
            y,
            shown: String::new(),
        };
        let drawn = scatter(
            "s",
            "t".into(),
            ("x".into(), "y".into()),
            vec![dot(10, 100), dot(0, 0)],
            vec![],
            vec![],
        );
        let corners: Vec<(i64, i64)> = drawn.points.iter().map(|p| (p.x, p.y)).collect();
        assert_eq!(
            corners,
            [(drawn.right(), drawn.top()), (drawn.left(), drawn.bottom())]
        );
    }
}
