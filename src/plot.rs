//! `tlsim sweep --vary … --plot FILE.svg`: the median handshake time
//! against the first varied value, one line for each combination of the
//! others.

use std::path::Path;

use plotters::prelude::*;

/// One line of the plot: its name and its (value index, milliseconds) points.
pub struct Line {
    /// The other options' values, as given.
    pub name: String,
    /// Where the first option's value at this index gave a handshake.
    pub points: Vec<(usize, f64)>,
}

/// Writes the plot to `path` as SVG: `x_values` along the x axis (the
/// first option's values, as given), milliseconds up the y axis.
pub fn write_svg(
    path: &Path,
    x_name: &str,
    x_values: &[String],
    lines: &[Line],
) -> Result<(), String> {
    let mut svg = String::new();
    draw(&mut svg, x_name, x_values, lines).map_err(|e| format!("cannot draw the plot: {e}"))?;
    std::fs::write(path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn draw(
    svg: &mut String,
    x_name: &str,
    x_values: &[String],
    lines: &[Line],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (900, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let highest = (lines.iter().flat_map(|l| &l.points))
        .map(|&(_, ms)| ms)
        .fold(0.0, f64::max);
    let last = x_values.len().saturating_sub(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption("Handshake time, median over the seeds", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(-0.5..last + 0.5, 0.0..(highest * 1.1).max(1.0))?;
    let label_at = |x: &f64| {
        let nearest = x.round();
        let index = nearest as usize;
        match x_values.get(index) {
            Some(text) if (x - nearest).abs() < 1e-9 && nearest >= 0.0 => text.clone(),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .x_labels(x_values.len() * 2 + 1)
        .x_label_formatter(&label_at)
        .x_desc(x_name)
        .y_desc("handshake completed (ms)")
        .draw()?;
    for (i, line) in lines.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let points: Vec<(f64, f64)> = (line.points.iter())
            .map(|&(x, ms)| (x as f64, ms))
            .collect();
        let series = chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?;
        if !line.name.is_empty() {
            series.label(line.name.as_str()).legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        }
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, colour.filled())),
        )?;
    }
    if lines.iter().any(|l| !l.name.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
