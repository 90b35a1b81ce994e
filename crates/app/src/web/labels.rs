//! What the console calls things, in Simplified Chinese.

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
        _ => "未知状态",
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

pub fn action(s: &str) -> &'static str {
    match s {
        "answer" => "直接答复",
        "triage" => "分类处置",
        "dispatch" => "派单",
        "accept" => "签收",
        "return" => "申请退单",
        "return/approve" => "同意退单",
        "return/reject" => "驳回退单",
        "extension" => "申请延期",
        "extension/approve" => "批准延期",
        "extension/reject" => "驳回延期",
        "reply" => "答复",
        "note" => "添加备注",
        "callback" => "回访",
        "reopen" => "重办",
        "close" => "办结",
        "urge" => "催办",
        "supervise" => "督办",
        "escalate" => "提级督办",
        "merge" => "合并到其他工单",
        "reveal-phone" => "查看完整号码",
        _ => "操作",
    }
}

pub fn event(s: &str) -> &'static str {
    match s {
        "registered" => "登记受理",
        "answered" => "直接答复",
        "triaged" => "分类处置",
        "dispatched" => "派单",
        "handed_down" => "下派至下级热线",
        "accepted" => "签收",
        "return_requested" => "申请退单",
        "return_approved" => "同意退单",
        "return_rejected" => "驳回退单",
        "extension_requested" => "申请延期",
        "extension_approved" => "批准延期",
        "extension_rejected" => "驳回延期",
        "replied" => "答复",
        "noted" => "备注",
        "called_back" => "回访",
        "evaluated" => "诉求人评价",
        "reopened" => "重办",
        "closed" => "办结",
        "urged" => "催办",
        "supervised" => "督办",
        "escalated" => "提级督办",
        "merged" => "合并",
        "duplicate_merged" => "并入重复件",
        "phone_revealed" => "查看完整号码",
        "reminded" => "系统催办",
        "accept_overdue" => "超时未签收提醒",
        "return_review_overdue" => "退单审核超时提醒",
        "extension_review_overdue" => "延期审批超时提醒",
        "callback_overdue" => "回访超时提醒",
        "callback_exhausted" => "多次回访未联系上",
        "personal_data_purged" => "个人信息已按保存期限删除",
        _ => "其他记录",
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
        _ => "操作未完成，请稍后重试。",
    }
}
