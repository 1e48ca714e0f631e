//! Line charts with plotters: [`line_chart`] writes a PNG (bitmap backend) or SVG by the file's
//! extension; text uses one bundled font (DejaVu Sans Mono, `assets/`), never the system's, so
//! the same data gives the same bytes on any machine. [`report_charts`] draws the simulator's
//! charts; `verity report savings` uses [`line_chart`] and [`stats_label`] directly.

use crate::SimError;
use crate::metrics::PathStats;
use crate::report::Report;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The bundled file is a valid TrueType font; a failure would only lose the labels.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// One line: its legend name and (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points in x order.
    pub points: Vec<(f64, f64)>,
}

const COLORS: [RGBColor; 4] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// The legend suffix for a path: volatility and max drawdown.
pub fn stats_label(s: &PathStats) -> String {
    format!(
        "vol {:.2}%/day, max drawdown {:.1}%",
        s.daily_volatility * 100.0,
        s.max_drawdown * 100.0
    )
}

fn bounds(series: &[Series]) -> (f64, f64, f64, f64) {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in pts {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if x0 > x1 {
        return (0.0, 1.0, 0.0, 1.0);
    }
    if x1 - x0 < 1e-12 {
        x1 = x0 + 1.0;
    }
    let pad = ((y1 - y0) * 0.08).max(y1.abs() * 1e-6).max(1e-9);
    (x0, x1, y0 - pad, y1 + pad)
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let (x0, x1, y0, y1) = bounds(series);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(|x| e(&x))?;
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                s.points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite()),
                color.stroke_width(2),
            ))
            .map_err(|x| e(&x))?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// Draw `series` into `path`: `.svg` → SVG, anything else → PNG (960 × 540).
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), SimError> {
    register_font();
    let size = (960, 540);
    let svg = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("svg"));
    let r = if svg {
        draw(
            SVGBackend::new(path, size).into_drawing_area(),
            title,
            x_label,
            y_label,
            series,
        )
    } else {
        draw(
            BitMapBackend::new(path, size).into_drawing_area(),
            title,
            x_label,
            y_label,
            series,
        )
    };
    r.map_err(|message| SimError::Chart {
        path: path.display().to_string(),
        message,
    })
}

/// The simulator's charts ([`crate::report::CHARTS`]) into `dir`.
pub fn report_charts(r: &Report, dir: &Path) -> Result<Vec<PathBuf>, SimError> {
    let line = |name: String, f: fn(&crate::report::DayRow) -> f64| Series {
        name,
        points: r.days.iter().map(|d| (f64::from(d.day), f(d))).collect(),
    };
    let charts: [(&str, &str, Vec<Series>); 4] = [
        (
            "savings.png",
            "USD",
            vec![
                line(format!("held as VTY ({})", stats_label(&r.held)), |d| {
                    d.savers_held_value
                }),
                line(
                    format!("converted to TBILL ({})", stats_label(&r.converted)),
                    |d| d.savers_converted_value,
                ),
            ],
        ),
        (
            "prices.png",
            "USD per VTY",
            vec![
                line("VTY/AID pool".into(), |d| d.vty_price),
                line("reference".into(), |d| d.ref_price),
            ],
        ),
        (
            "nav.png",
            "per share",
            vec![
                line("TBILL NAV (USD)".into(), |d| d.tbill_nav),
                line("sAID share price (AID)".into(), |d| d.vault_share_price),
            ],
        ),
        (
            "income.png",
            "USD",
            vec![line("provider income, valued when paid".into(), |d| {
                d.provider_income_usd
            })],
        ),
    ];
    let mut out = Vec::new();
    for ((file, y, series), (_, title)) in charts.into_iter().zip(crate::report::CHARTS) {
        let p = dir.join(file);
        line_chart(&p, title, "day", y, &series)?;
        out.push(p);
    }
    Ok(out)
}
