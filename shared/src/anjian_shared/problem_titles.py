"""Every problem code and its Chinese title: the one table a front end keys its messages on.

A problem response (``anjian_shared.problems``) carries ``code`` (the stable last segment of
its ``type``, e.g. ``record-not-pending-review``) and ``title``, the Chinese text of this
table (``title_en`` keeps the English one). ``detail`` says what exactly happened, in
English, for the developer; a front end shows ``title`` (or its own text for ``code``) and,
for ``errors[]``, each field's ``message`` (Chinese, then English in brackets).

The README's "Problem codes" table is this table (``python -m anjian_shared.problem_titles``
prints it as Markdown); ``shared/tests/unit/test_problem_titles.py`` collects every code the
services can raise from their source and fails on one missing here. A new code: add it here
and to the README in the same change.
"""

from __future__ import annotations

TITLES_ZH: dict[str, str] = {
    # --- generic (the error classes' default codes, the HTTP edge) ---------------------------
    "bad-request": "请求有误",
    "unauthorized": "需要登录（凭证缺失、过期或无效）",
    "forbidden": "无权执行此操作",
    "not-found": "对象不存在或无权查看",
    "method-not-allowed": "该地址不支持此请求方法",
    "http-error": "请求无法处理",
    "conflict": "与当前状态冲突",
    "not-yet-available": "数据尚未就绪，请稍后重试",
    "payload-too-large": "内容超过大小限制",
    "unsupported-media-type": "文件类型不受支持",
    "validation-error": "请求内容不符合要求",
    "too-many-requests": "请求过于频繁，请稍后重试",
    "service-unavailable": "服务暂时不可用，请稍后重试",
    "internal-error": "服务器内部错误",
    "gone": "已失效（如分享链接已过期或撤销）",
    "idempotency-key-reused": "幂等键已用于另一请求",
    # --- who may do it (403) -------------------------------------------------------------------
    "role-required": "当前角色无权执行此操作",
    "feature-disabled": "本省未开通此功能",
    "not-a-reviewer": "您不是该事项的审核人",
    "not-a-replier": "您不是该通知的回复单位人员",
    "not-station-staff": "仅监督站人员可执行此操作",
    "not-station-side": "仅签发人、上报审核人及本站站长可查看",
    "not-client-admin": "仅省级管理员可管理合作方客户端",
    "not-policy-admin": "仅省级管理员可查看和修改本省配置",
    "not-audit-reader": "仅省级管理员可查看和导出审计日志",
    "audit-period-invalid": "查询时段无效（开始时间晚于结束时间）",
    "not-user-admin": "仅用户管理员可查看已停用的用户",
    "other-station": "站长仅可查询本站数据",
    "station-search-forbidden": "仅站长和省级管理员可查询本站记录与文书",
    # --- not found (404) -----------------------------------------------------------------------
    "user-not-found": "用户不存在",
    "organization-not-found": "单位不存在",
    "reply-not-found": "回复不存在",
    "not-escalated": "该文书未被升级督办",
    # --- state (409) ---------------------------------------------------------------------------
    "code-taken": "编码已存在",
    "document-busy": "文书正被同时修改，请重试",
    "document-immutable": "已提交的文书不可修改",
    "document-not-open": "该文书当前不接受回复",
    "document-not-pending-review": "该文书不在待审核状态",
    "document-already-reviewed": "您已审核过该文书",
    "document-number-taken": "文书编号已被占用",
    "notice-changed": "告知书已被他人修改，请刷新后重试",
    "notice-awaiting-reply": "告知书待整改回复，当前无可审核的回复",
    "notice-awaiting-review": "告知书的整改回复待审核，暂不能再次回复",
    "notice-closed": "告知书已闭环",
    "plan-already-confirmed": "检查计划已确认",
    "plan-changed": "检查计划已被他人修改，请刷新后重试",
    "plan-has-results": "检查计划已有检查结果，不能删除",
    "plan-not-confirmed": "检查计划尚未确认",
    "plan-project-unknown": "计划中的项目已不在项目目录中",
    "plan-submitted": "检查计划已提交，不可修改",
    "plan-too-many-results": "检查计划的检查结果数量超过上限",
    "record-busy": "监督记录正被同时修改，请重试",
    "record-immutable": "已提交的监督记录不可修改",
    "record-not-pending-review": "该监督记录不在待审核状态",
    "record-already-reviewed": "您已审核过该监督记录",
    "reply-accepted": "您的回复已审核通过",
    "reply-already-reviewed": "该回复已审核",
    "reply-not-latest": "只能审核最新一轮回复",
    "reply-not-pending-review": "该回复不在待审核状态",
    "reply-pending": "您上一次的回复尚在审核中",
    "submission-already-reviewed": "您已审核过该事项",
    "submission-not-pending-review": "该事项不在待审核状态",
    # --- a value breaks a rule (422) -----------------------------------------------------------
    "annotation-outside-photo": "标注超出照片范围",
    "annotations-invalid": "照片标注格式无效",
    "comment-required": "审核不通过时必须填写意见",
    "comment-too-long": "意见超过长度上限",
    "config-invalid": "配置无效",
    "deadline-past": "整改期限早于今天",
    "decision-mismatch": "审核结论与 passed 字段矛盾",
    "decision-required": "请填写审核结论（通过或不通过）",
    "details-too-long": "详细说明超过长度上限",
    "export-too-large": "导出条数超过上限，请缩小查询范围",
    "list-invalid": "列表格式无效（应为 JSON 数组）",
    "not-project-companies": "所选单位不是该项目的参建单位",
    "not-project-parties": "所选人员不属于该项目的参建单位或监督站",
    "not-station-reviewers": "所选审核人不是本站站长或监督员",
    "project-not-of-station": "该项目不属于您的监督站",
    "record-not-of-project": "所引用的监督记录不属于该项目",
    "record-rejected": "所引用的监督记录审核未通过",
    "self-recipient": "不能下达给自己",
    "self-reply": "不能指定自己为回复人",
    "self-review": "不能指定自己为审核人",
    "text-required": "请填写内容",
    "text-too-long": "内容超过长度上限",
    "too-few-people": "人员数量不足",
    "too-many-people": "人员数量超过上限",
    "too-many-attachments": "附件数量超过上限",
    "too-many-files": "文件数量超过上限",
    "too-many-photos": "照片数量超过上限",
    "image-too-large": "图片尺寸超过上限",
    # --- dependencies (503) --------------------------------------------------------------------
    "pdf-unavailable": "文书 PDF 暂时无法生成",
    # --- partner clients (OAuth 2.0 token endpoint, RFC 6749 errors) ---------------------------
    "oauth-invalid-request": "令牌请求缺少参数或格式有误",
    "oauth-invalid-client": "客户端认证失败",
    "oauth-invalid-grant": "授权无效或已过期",
    "oauth-unauthorized-client": "客户端无权使用此授权方式",
    "oauth-unsupported-grant-type": "不支持的授权方式",
    "oauth-invalid-scope": "申请的权限范围未授予该客户端",
    # --- accounts, sign-in, tokens, share links (issue 11) -----------------------------------
    "token-revoked": "令牌已失效（账号已停用、改密或角色变更），请重新登录",
    "json-too-deep": "请求体嵌套层级过深",
    "username-unavailable": "该用户名不可用，请换一个",
    "password-too-short": "密码长度不足",
    "password-common": "密码过于常见，请换一个",
    "password-contains-username": "密码不得包含用户名",
    "last-admin": "不能停用或撤销本省最后一名管理员",
    "too-many-sign-ins": "登录尝试过于频繁，请稍后再试",
    "too-many-password-attempts": "密码验证失败次数过多，请稍后再试",
    "current-password-wrong": "当前密码不正确",
    "too-many-username-attempts": "用户名尝试过于频繁，请稍后再试",
    "share-link-revoked": "分享链接已被撤销",
    "share-link-creator-no-access": "分享链接的创建人已无权查看该文书",
    "share-link-not-found": "分享链接不存在",
    "not-link-manager": "只有创建人、签发人或站领导可以撤销分享链接",
    "record-not-released": "所依据的监督检查记录尚未审核通过",
    # --- Hebei: registration, divisions, credit codes, personnel (HEB-01/11) ------------------
    "credit-code-check-character": "统一社会信用代码校验位不正确",
    "credit-code-format": "统一社会信用代码格式不正确",
    "credit-code-taken": "该统一社会信用代码已登记",
    "unknown-division": "未知的行政区划代码",
    "division-outside-province": "行政区划不在本省",
    "division-inside-province": "省外企业的行政区划不应在本省",
    "registration-not-found": "企业注册申请不存在",
    "registration-already-decided": "该注册申请已审核",
    "not-registration-reviewer": "只有所在地主管部门可以审核该注册申请",
    "reason-required": "请填写理由",
    "authority-not-found": "未找到该行政区划的主管部门",
    "registration-throttled": "注册提交过于频繁，请稍后再试",
    "tenant-not-found": "省份不存在",
    "username-taken": "该用户名已被使用",
    "unknown-category": "未知的人员类别",
    "certificate-validity-too-long": "证书有效期超出规定",
    "person-not-found": "人员不存在",
    "not-company-admin": "只有本企业管理员可以维护企业人员",
    "certificate-expired": "证书已过期，不能选用",
    "wrong-category": "人员类别不符",
    "certificate-number-taken": "该证书编号已登记",
    # --- Hebei: applications and the crane registry (HEB-03/06/07/12/14/15/17) ----------------
    "not-applicant": "只有申请单位可以操作该事项",
    "not-addressed-authority": "只有受理该事项的主管部门可以办理",
    "application-not-found": "事项不存在",
    "application-not-draft": "事项已上报，不能修改",
    "application-changed": "事项已被他人修改，请刷新后重试",
    "attachments-missing": "缺少必需的附件",
    "certificates-missing": "缺少设备备案所需的三证（制造许可证、产品合格证、制造监督检验证明）",
    "attachment-too-large": "附件超过大小限制，请拆分后上传",
    "model-banned": "该型号属国家明令淘汰或禁止使用的型号",
    "model-already-banned": "该型号已在禁用名单中",
    "banned-model-not-found": "禁用名单中无此型号",
    "service-life-exceeded": "设备超过使用年限，需附有效的安全评估",
    "registration-window-passed": "已超过验收后30日的使用登记期限",
    "machine-already-filed": "该设备（制造单位+出厂编号）已备案",
    "machine-not-filed": "设备未备案或备案未通过",
    "machine-not-installed": "设备尚未安装告知",
    "machine-not-found": "设备不存在",
    "machine-locked": "设备已锁定在其他工程，拆卸前不能再次安装告知",
    "operator-locked": "特种作业人员已登记在其他设备上，需主管部门解锁",
    "operator-not-locked": "该人员未被锁定",
    "organization-not-yet-known": "单位信息尚未同步，请稍后重试",
    "not-a-company": "只有企业可以办理该事项",
    "company-role-required": "企业类型不符，不能办理该事项",
    "not-authority-staff": "只有主管部门人员可以办理",
    "not-province-admin": "只有省级管理员可以操作",
    "not-owner": "只有产权单位可以操作",
}
"""code → Chinese title, for every code a service can answer with."""

STATUS_TITLES_ZH: dict[int, str] = {
    400: TITLES_ZH["bad-request"], 401: TITLES_ZH["unauthorized"], 403: TITLES_ZH["forbidden"],
    404: TITLES_ZH["not-found"], 405: TITLES_ZH["method-not-allowed"], 409: TITLES_ZH["conflict"],
    410: TITLES_ZH["gone"], 413: TITLES_ZH["payload-too-large"], 415: TITLES_ZH["unsupported-media-type"],
    422: TITLES_ZH["validation-error"], 429: TITLES_ZH["too-many-requests"],
    500: TITLES_ZH["internal-error"], 503: TITLES_ZH["service-unavailable"],
}
"""The fallback by HTTP status, for a code not (yet) in ``TITLES_ZH``."""


def title_zh(code: str, status: int) -> str:
    """The Chinese title of ``code`` (else of its HTTP ``status``, else 请求无法处理)."""
    return TITLES_ZH.get(code) or STATUS_TITLES_ZH.get(status) or TITLES_ZH["http-error"]


def markdown_table() -> str:
    """The README's table: one row per code, sorted."""
    rows = ["| code | 中文标题 |", "| --- | --- |"]
    rows += [f"| `{code}` | {TITLES_ZH[code]} |" for code in sorted(TITLES_ZH)]
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover - prints the README table
    print(markdown_table())
