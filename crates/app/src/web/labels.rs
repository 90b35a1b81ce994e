//! What the console calls things, in Simplified Chinese.

use hotline_domain::{ActionName, EventKind};

pub fn status(s: &str) -> &'static str {
    match s {
        "registered" => "待派单",
        "dispatched" => "已派单",
        "return_requested" => "退单待审",
        "in_progress" => "办理中",
        "replied" => "已答复",
        "callback_done" => "已回访",
        "closed" => "已办结",
        "merged" => "已合并",
        "escalation_requested" => "提级待审",
        _ => "未知状态",
    }
}

/// A state as the requester reads it on the portal: what is happening to their
/// request, in words true at that point ("待派单" is staff's word, and says nothing
/// to a citizen).
pub fn public_status(s: hotline_domain::Status) -> &'static str {
    use hotline_domain::Status::*;
    match s {
        Registered => "已受理，正在分派",
        Dispatched => "已交承办单位，等待签收",
        ReturnRequested => "正在重新分派承办单位",
        InProgress => "承办单位办理中",
        Replied => "承办单位已答复，等待回访",
        CallbackDone => "已回访",
        Closed => "已办结",
        Merged => "已与相同诉求合并办理",
        EscalationRequested => "已受理，正在分派",
    }
}

pub fn kind(s: &str) -> &'static str {
    match s {
        "consultation" => "咨询",
        "help" => "求助",
        "complaint" => "投诉",
        "report" => "举报",
        "suggestion" => "意见建议",
        "praise" => "表扬",
        _ => "其他",
    }
}

pub fn channel(s: &str) -> &'static str {
    match s {
        "phone" => "电话",
        "web" => "网站",
        "app" => "移动端",
        "wechat" => "微信",
        "sms" => "短信",
        "email" => "电子邮件",
        "letter" => "信件",
        "open311" => "系统对接",
        _ => "其他",
    }
}

pub fn sla(s: &str) -> &'static str {
    match s {
        "on_track" => "正常",
        "due_soon" => "即将到期",
        "overdue" => "已超期",
        _ => "—",
    }
}

pub fn action(name: ActionName) -> &'static str {
    use ActionName as A;
    match name {
        A::Answer => "直接答复",
        A::Triage => "分类处置",
        A::Dispatch => "派单",
        A::Accept => "签收",
        A::Return => "申请退单",
        A::ApproveReturn => "同意退单",
        A::RejectReturn => "驳回退单",
        A::RequestExtension => "申请延期",
        A::ApproveExtension => "批准延期",
        A::RejectExtension => "驳回延期",
        A::Reply => "答复",
        A::Note => "添加备注",
        A::Callback => "回访",
        A::Reopen => "重办",
        A::Close => "办结",
        A::Urge => "催办",
        A::Supervise => "督办",
        A::Escalate => "提级督办",
        A::Merge => "合并到其他工单",
        A::RevealPhone => "查看完整号码",
        A::ApproveReply => "审核通过答复",
        A::RejectReply => "退回答复重办",
        A::Recall => "撤回派单",
        A::EscalateHandling => "申请提级办理",
        A::AcceptEscalation => "同意提级办理",
        A::DeclineEscalation => "不同意提级办理",
        A::TakeOver => "提级办理（主动提级）",
        A::LineTakeOver => "条线提级办理（由本部门主办）",
        A::InterimReply => "阶段性答复",
        A::Correct => "纠错（诉求类型、领域、区域、地址）",
        A::RequestCorrection => "申请更正诉求类型",
        A::ApproveCorrection => "同意更正诉求类型",
        A::RejectCorrection => "不同意更正诉求类型",
        A::Forward => "二级派单（转下级单位办理）",
        A::AcceptForward => "签收（上级单位转办）",
        A::ReturnForward => "退回上级单位",
        A::ReplyForward => "答复上级单位",
        A::RecallForward => "收回二级派单",
    }
}

pub fn event(kind: EventKind) -> &'static str {
    use EventKind as E;
    match kind {
        E::Registered => "登记受理",
        E::Answered => "直接答复",
        E::Triaged => "分类处置",
        E::Dispatched => "派单",
        E::HandedDown => "下派至下级热线",
        E::Accepted => "签收",
        E::ReturnRequested => "申请退单",
        E::ReturnApproved => "同意退单",
        E::ReturnRejected => "驳回退单",
        E::ExtensionRequested => "申请延期",
        E::ExtensionApproved => "批准延期",
        E::ExtensionRejected => "驳回延期",
        E::ReplyApproved => "答复审核通过",
        E::ReplyRejected => "答复退回重办",
        E::Recalled => "撤回派单",
        E::EscalationRequested => "申请提级办理",
        E::EscalationAccepted => "上级热线同意提级办理",
        E::EscalationDeclined => "上级热线不同意提级办理",
        E::TakenOver => "上级热线提级办理",
        E::LineTakenOver => "条线主管部门提级办理",
        E::InterimReplied => "阶段性答复",
        E::Corrected => "纠错",
        E::CorrectionRequested => "申请更正诉求类型",
        E::CorrectionApproved => "同意更正诉求类型",
        E::CorrectionRejected => "不同意更正诉求类型",
        E::Sampled => "条线抽查：抽中",
        E::Inspected => "条线抽查：检查结论",
        E::Forwarded => "二级派单",
        E::ForwardAccepted => "下级单位签收",
        E::ForwardReturned => "下级单位退回",
        E::ForwardReplied => "下级单位答复",
        E::ForwardRecalled => "收回二级派单",
        E::Replied => "答复",
        E::Noted => "备注",
        E::CalledBack => "回访",
        E::Evaluated => "诉求人评价",
        E::Reopened => "重办",
        E::Closed => "办结",
        E::Urged => "催办",
        E::Supervised => "督办",
        E::Escalated => "提级督办",
        E::Merged => "合并",
        E::DuplicateMerged => "并入重复件",
        E::PhoneRevealed => "查看完整号码",
        E::Reminded => "系统催办",
        E::AcceptOverdue => "超时未签收提醒",
        E::ReturnReviewOverdue => "退单审核超时提醒",
        E::ExtensionReviewOverdue => "延期审批超时提醒",
        E::CallbackOverdue => "回访超时提醒",
        E::CallbackExhausted => "多次回访未联系上",
        E::DeadlinePassed => "超过办理时限未答复",
        E::PersonalDataPurged => "个人信息已按保存期限删除",
    }
}

pub fn role(s: &str) -> &'static str {
    match s {
        "operator" => "话务员",
        "dispatcher" => "派单员",
        "handler" => "承办人员",
        "supervisor" => "督办员",
        "inspector" => "质检员",
        "knowledge_editor" => "知识库管理员",
        "admin" => "系统管理员",
        "vendor_operator" => "第三方话务员",
        "line_supervisor" => "条线监管员",
        _ => "用户",
    }
}

/// A console message for an API error code.
pub fn error(code: &str) -> &'static str {
    match code {
        "forbidden" => "您无权执行此操作。",
        "invalid_transition" => "工单当前状态不允许此操作。",
        "return_window_closed" => "已超过退单时限，不能退单。",
        "extension_pending" => "已有待审批的延期申请。",
        "extension_limit" => "延期次数已达上限。",
        "validation" => "填写内容有误，请检查后重试。",
        "file_too_large" => "文件超出导入上限：最大 10 MB，最多 10 万行、64 列。",
        "not_found" => "工单不存在或您无权查看。",
        "conflict" => "工单已被他人更新，请刷新后重试。",
        "correction_pending" => "已有待热线审核的更正申请，请等待审核结果。",
        "domain_required" => "派单给承办单位前，请先选择诉求领域。",
        "callback_required" => "请先回访诉求人，再办结。",
        "outside_remit" => "不属于本分中心的受理范围。",
        "invalid_state" => "条目当前状态不允许此操作。",
        _ => "操作未完成，请稍后重试。",
    }
}

/// What a correction changed, as the timeline says it: `诉求类型：投诉→咨询；事发地址已更正`.
fn corrections(data: &serde_json::Value) -> Option<String> {
    let side = |field: &str, end: &str| -> String {
        let v = &data[field][end];
        match (field, v.as_str()) {
            (_, None) => "（无）".to_owned(),
            ("kind", Some(k)) => kind(k).to_owned(),
            (_, Some(s)) => s.to_owned(),
        }
    };
    let named = [
        ("kind", "诉求类型"),
        ("domain", "诉求领域"),
        ("region", "行政区划"),
        ("street", "乡镇/街道"),
        ("deadline", "办理时限"),
    ];
    let mut parts: Vec<String> = named
        .iter()
        .filter(|(f, _)| data.get(*f).is_some())
        .map(|(f, label)| format!("{label}：{}→{}", side(f, "from"), side(f, "to")))
        .collect();
    if data.get("address").is_some() {
        parts.push("事发地址已更正".into());
    }
    if data.get("confidential").is_some() {
        parts.push("转为保密件".into());
    }
    (!parts.is_empty()).then(|| parts.join("；"))
}

/// What the requester said at a callback or evaluation.
pub fn callback_result(r: hotline_domain::CallbackResult) -> &'static str {
    use hotline_domain::CallbackResult as R;
    match r {
        R::Satisfied => "满意",
        R::FairlySatisfied => "基本满意",
        R::Dissatisfied => "不满意",
        R::Unreachable => "未能联系",
    }
}

/// An order's current callback or evaluation, as lists and the order page show it:
/// `不满意 · 未解决（回访）`.
pub fn evaluation(e: &hotline_domain::Evaluation) -> String {
    let by = if e.by_requester {
        "诉求人评价"
    } else {
        "回访"
    };
    if e.result == hotline_domain::CallbackResult::Unreachable {
        return format!("未能联系（{by}）");
    }
    let resolved = if e.resolved { "已解决" } else { "未解决" };
    format!("{} · {resolved}（{by}）", callback_result(e.result))
}

/// What a callback or evaluation event found, for the timeline; none for others.
pub fn event_outcome(e: &hotline_domain::Event) -> Option<String> {
    use hotline_domain::EventKind as E;
    match e.kind {
        E::Inspected => {
            let verdict = match e.data["verdict"].as_str() {
                Some("flawed") => "存在问题",
                _ => "规范",
            };
            return Some(format!("检查结论：{verdict}"));
        }
        E::Corrected | E::CorrectionApproved => return corrections(&e.data),
        E::CorrectionRequested => {
            let to = e.data["kind"].as_str().map_or("", kind);
            return Some(format!("申请更正为：{to}"));
        }
        _ => {}
    }
    if let Some(o) = e.outcome() {
        let resolved = if o.resolved { "已解决" } else { "未解决" };
        return Some(format!("结果：{}，{resolved}", callback_result(o.result)));
    }
    e.is_unreachable_callback()
        .then(|| "结果：未能联系诉求人".to_owned())
}
