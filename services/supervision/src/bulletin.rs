//! 月度通报: regions and organs ranked by the petition index of a month, with every metric, as
//! a spreadsheet (XLSX, two sheets) or CSV (UTF-8 with a byte-order mark, so that spreadsheet
//! programs read the Chinese headers right).

use xinfang_domain::metrics::{ITEM_METRICS, IndexWeights, Metric, Ratio, petition_index};

/// One ranked line of the bulletin.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 地区 or 部门.
    pub kind: &'static str,
    pub code: String,
    pub name: String,
    pub rank: usize,
    pub index: Option<f64>,
    /// One value per [`ITEM_METRICS`]; None is "no data".
    pub values: Vec<Option<f64>>,
}

/// Ranks the groups of one kind by their index (no data last).
pub fn rank(
    kind: &'static str,
    figures: &[(String, Metric, Ratio)],
    weights: &IndexWeights,
    name_of: impl Fn(&str) -> String,
) -> Vec<Line> {
    let mut groups: Vec<String> = figures.iter().map(|(g, _, _)| g.clone()).collect();
    groups.dedup();
    let mut lines: Vec<Line> = groups
        .into_iter()
        .map(|group| {
            let parts: Vec<(Metric, Ratio)> = figures
                .iter()
                .filter(|(g, _, _)| *g == group)
                .map(|(_, m, r)| (*m, *r))
                .collect();
            let values = ITEM_METRICS
                .iter()
                .map(|m| {
                    parts
                        .iter()
                        .find(|(p, _)| p == m)
                        .and_then(|(_, r)| r.value())
                })
                .collect();
            Line {
                kind,
                name: name_of(&group),
                code: group,
                rank: 0,
                index: petition_index(&parts, weights),
                values,
            }
        })
        .collect();
    lines.sort_by(|a, b| match (a.index, b.index) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });
    for (i, line) in lines.iter_mut().enumerate() {
        line.rank = i + 1;
    }
    lines
}

fn headers() -> Vec<String> {
    ["类别", "排名", "代码", "名称", "信访指数"]
        .into_iter()
        .map(String::from)
        .chain(ITEM_METRICS.iter().map(|m| m.name_zh().to_owned()))
        .collect()
}

fn percent(value: Option<f64>) -> String {
    xinfang_domain::metrics::rate_text(value)
}

pub fn to_csv(lines: &[Line]) -> anyhow::Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer.write_record(headers())?;
        for l in lines {
            let mut record = vec![
                l.kind.to_owned(),
                l.rank.to_string(),
                l.code.clone(),
                l.name.clone(),
                l.index
                    .map_or_else(|| "无数据".to_owned(), |i| format!("{i:.1}")),
            ];
            record.extend(l.values.iter().map(|v| percent(*v)));
            writer.write_record(record)?;
        }
        writer.flush()?;
    }
    Ok(out)
}

pub fn to_xlsx(title: &str, lines: &[Line]) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let score = Format::new().set_num_format("0.0");
    for kind in ["地区", "部门"] {
        let sheet = workbook.add_worksheet();
        sheet.set_name(format!("{kind}排名"))?;
        sheet.write_with_format(0, 0, format!("{title}（{kind}）"), &bold)?;
        for (col, header) in headers().iter().enumerate() {
            sheet.write_with_format(1, col as u16, header, &bold)?;
        }
        for (row, l) in lines.iter().filter(|l| l.kind == kind).enumerate() {
            let r = row as u32 + 2;
            sheet.write(r, 0, l.kind)?;
            sheet.write(r, 1, l.rank as u32)?;
            sheet.write(r, 2, &l.code)?;
            sheet.write(r, 3, &l.name)?;
            match l.index {
                Some(i) => sheet.write_with_format(r, 4, i, &score)?,
                None => sheet.write(r, 4, "无数据")?,
            };
            for (i, v) in l.values.iter().enumerate() {
                let col = 5 + i as u16;
                match v {
                    Some(v) => sheet.write_with_format(r, col, *v, &pct)?,
                    None => sheet.write(r, col, "无数据")?,
                };
            }
        }
        sheet.set_column_width(3, 24)?;
        sheet.autofit();
    }
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Vec<(String, Metric, Ratio)> {
        vec![
            ("340102".into(), Metric::TimelyAcceptance, Ratio::new(1, 2)),
            ("340103".into(), Metric::TimelyAcceptance, Ratio::new(2, 2)),
            ("340104".into(), Metric::TimelyAcceptance, Ratio::new(0, 0)),
        ]
    }

    #[test]
    fn groups_are_ranked_by_index_with_no_data_last() {
        let weights: IndexWeights = [(Metric::TimelyAcceptance, 1.0)].into();
        let lines = rank("地区", &figures(), &weights, |c| format!("区{c}"));
        let order: Vec<_> = lines.iter().map(|l| (l.code.as_str(), l.rank)).collect();
        assert_eq!(order, [("340103", 1), ("340102", 2), ("340104", 3)]);
        assert_eq!(lines[2].index, None);
    }

    #[test]
    fn the_csv_has_a_bom_chinese_headers_and_no_data_marks() {
        let weights: IndexWeights = [(Metric::TimelyAcceptance, 1.0)].into();
        let csv = to_csv(&rank("地区", &figures(), &weights, |c| c.to_owned())).unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with("\u{feff}类别,排名,代码,名称,信访指数,及时受理率"));
        assert!(text.contains("地区,1,340103,340103,100.0,100.0%,无数据"));
    }
}
