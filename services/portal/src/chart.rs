//! Bar charts as inline SVG, drawn on the server: readable on a phone, no script, and each bar a
//! link to the items it counts. A figure with no data is drawn as 无数据, never as 0.

use maud::{Markup, html};

pub struct Bar {
    pub label: String,
    /// None: nothing to count (无数据).
    pub value: Option<f64>,
    /// What is written beside the bar (`85.0% (17/20)`).
    pub text: String,
    /// Where the bar leads (the items behind the figure).
    pub href: Option<String>,
}

const ROW: u32 = 28;
const LABEL: u32 = 120;
const WIDTH: u32 = 440;
const TEXT: u32 = 120;

/// Horizontal bars scaled to `max` (100 for rates and the index).
pub fn bars(title: &str, bars: &[Bar], max: f64) -> Markup {
    let height = ROW * bars.len().max(1) as u32 + 8;
    let room = f64::from(WIDTH - LABEL - TEXT);
    html! {
        figure.chart {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-label=(title) {
                @for (i, bar) in bars.iter().enumerate() {
                    @let y = ROW * i as u32 + 4;
                    @let length = bar.value.map(|v| (v / max).clamp(0.0, 1.0) * room).unwrap_or(0.0);
                    g {
                        text x="0" y=(y + 18) font-size="14" { (bar.label) }
                        @let drawn = html! {
                            rect x=(LABEL) y=(y + 4) width=(format!("{length:.1}")) height="18" fill="#b22222" {}
                            text x=(f64::from(LABEL) + length + 6.0) y=(y + 18) font-size="13" { (bar.text) }
                        };
                        @match &bar.href {
                            Some(href) => a href=(href) { (drawn) },
                            None => (drawn),
                        }
                    }
                }
            }
        }
    }
}
