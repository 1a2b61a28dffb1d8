//! 联席会议纪要: a meeting's minutes as a Word document (DOCX), in Chinese, with the names of the
//! units from the organisation tree — the meeting, its members, and for each item the dispute,
//! the decision with its measures and deadline, the follow-up and the certified resolution.

use docx_rs::{Docx, Paragraph, Run, RunFonts};
use xinfang_domain::meeting::{Measure, Meeting};
use xinfang_domain::reference::OrgTree;

/// The Word document's media type.
pub const MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn measure_zh(m: Measure) -> &'static str {
    match m {
        Measure::Summons => "约谈",
        Measure::Circular => "通报",
        Measure::ListedSupervision => "挂牌督办",
    }
}

/// A line in the document's Chinese font, `size` in half-points.
fn line(text: &str, size: usize, bold: bool) -> Paragraph {
    let mut run = Run::new()
        .add_text(text)
        .size(size)
        .fonts(RunFonts::new().east_asia("宋体"));
    if bold {
        run = run.bold();
    }
    Paragraph::new().add_run(run)
}

/// The minutes of `m` as DOCX bytes.
pub fn docx(m: &Meeting, org: &OrgTree) -> Result<Vec<u8>, docx_rs::DocxError> {
    let name = |code: &str| {
        org.unit(code)
            .map_or_else(|| code.to_owned(), |u| u.name.clone())
    };
    let names = |codes: &[String]| codes.iter().map(|c| name(c)).collect::<Vec<_>>().join("、");
    let mut doc = Docx::new()
        .add_paragraph(line(&format!("{}纪要", m.title), 36, true))
        .add_paragraph(line(&format!("会议日期：{}", m.held_on), 24, false))
        .add_paragraph(line(&format!("召集单位：{}", name(&m.convener)), 24, false))
        .add_paragraph(line(&format!("成员单位：{}", names(&m.members)), 24, false));
    let (studied, resolved) = m.counts();
    doc = doc.add_paragraph(line(
        &format!(
            "会议研究信访事项 {} 件，作出决定 {} 件，已化解 {} 件。",
            m.items.len(),
            studied,
            resolved
        ),
        24,
        false,
    ));
    for (i, item) in m.items.iter().enumerate() {
        let heading = if item.disputing.is_empty() {
            format!("{}、信访事项 {}", i + 1, item.case_number)
        } else {
            format!(
                "{}、信访事项 {}（{}管辖争议）",
                i + 1,
                item.case_number,
                names(&item.disputing)
            )
        };
        doc = doc.add_paragraph(line(&heading, 28, true));
        match &item.decision {
            None => doc = doc.add_paragraph(line("会议未作出决定。", 24, false)),
            Some(d) => {
                let measures: Vec<&str> = d.measures.iter().map(|x| measure_zh(*x)).collect();
                doc = doc
                    .add_paragraph(line(&format!("牵头单位：{}", name(&d.lead)), 24, false))
                    .add_paragraph(line(
                        &format!("配合单位：{}", names(&d.cooperating)),
                        24,
                        false,
                    ))
                    .add_paragraph(line(
                        &format!(
                            "措施：{}；办结时限：{}",
                            if measures.is_empty() {
                                "无".to_owned()
                            } else {
                                measures.join("、")
                            },
                            d.deadline
                        ),
                        24,
                        false,
                    ))
                    .add_paragraph(line(&format!("会议决定：{}", d.text), 24, false));
            }
        }
        for f in &item.follow_ups {
            doc = doc.add_paragraph(line(
                &format!("跟踪督办（{}）：{}", name(&f.unit), f.text),
                24,
                false,
            ));
        }
        if let Some(r) = &item.resolution {
            doc = doc.add_paragraph(line(
                &format!("已化解：{}，经{}认定", r.on, name(&r.certified_by)),
                24,
                false,
            ));
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out)?;
    Ok(out.into_inner())
}
