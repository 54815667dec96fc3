"""The console's words: one catalog per language, Vietnamese first, English as a switch.

Templates never hold text of their own: they call ``t("key")`` (and ``state(...)``,
``role(...)``), so both languages are complete by construction (tests/gateway/console checks that
every key has both). The language is ``?lang=`` when given (and then kept in a cookie), else the
cookie, else Vietnamese.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Languages, the first is the default.
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
#: The cookie remembering the chosen language (not a secret: no signing needed).
LANG_COOKIE = "gw_lang"

#: key -> (Vietnamese, English).
_MESSAGES: dict[str, tuple[str, str]] = {
    # the frame
    "app.title": ("Trục liên thông — bảng điều khiển", "Axis node — operator console"),
    "app.node": ("Nút", "Node"),
    "nav.overview": ("Tổng quan", "Overview"),
    "nav.deliveries": ("Bản sao", "Deliveries"),
    "nav.replays": ("Yêu cầu gửi lại", "Replay requests"),
    "nav.systems": ("Hệ thống", "Systems"),
    "nav.registry": ("Danh mục cơ quan", "Agency registry"),
    "nav.calendar": ("Lịch làm việc", "Calendar"),
    "nav.users": ("Người dùng", "Users"),
    "nav.audit": ("Nhật ký kiểm toán", "Audit log"),
    "nav.stats": ("Thống kê", "Statistics"),
    "nav.signed_in_as": ("Đăng nhập:", "Signed in as"),
    "nav.sign_out": ("Đăng xuất", "Sign out"),
    "nav.language": ("English", "Tiếng Việt"),
    # sign-in
    "login.title": ("Đăng nhập", "Sign in"),
    "login.username": ("Tên đăng nhập", "Username"),
    "login.password": ("Mật khẩu", "Password"),
    "login.submit": ("Đăng nhập", "Sign in"),
    "login.signed_out": ("Bạn đã đăng xuất.", "You are signed out."),
    "login.hint": (
        "Tài khoản do quản trị viên tạo (python -m gateway users add).",
        "Accounts are created by an admin (python -m gateway users add).",
    ),
    "login.unavailable": (
        "Nút này chưa có chức năng người dùng.",
        "This node has no user management yet.",
    ),
    # errors (by code; "error.other" for the rest)
    "error.title": ("Không thực hiện được", "Not done"),
    "error.code": ("Mã lỗi", "Error code"),
    "error.back": ("Quay lại", "Back"),
    "error.home": ("Về trang tổng quan", "To the overview"),
    "error.AUTH_PASSWORD": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "error.AUTH_LOCKED": (
        "Đăng nhập sai quá nhiều lần: tài khoản tạm khoá.",
        "Too many failed sign-ins: the account is locked for a while.",
    ),
    "error.AUTH_USER_DISABLED": ("Tài khoản đã bị vô hiệu hoá.", "This account is disabled."),
    "error.AUTH_REQUIRED": ("Vui lòng đăng nhập.", "Please sign in."),
    "error.AUTH_ROLE": (
        "Vai trò của bạn không được phép thực hiện việc này.",
        "Your role does not allow this.",
    ),
    "error.CSRF_INVALID": (
        "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và thử lại.",
        "The form expired or is not valid. Reload the page and try again.",
    ),
    "error.NOT_FOUND": ("Không tìm thấy trang.", "No such page."),
    "error.other": ("Yêu cầu bị từ chối.", "The request was refused."),
    # common
    "common.none": ("—", "—"),
    "common.yes": ("Có", "Yes"),
    "common.no": ("Không", "No"),
    "common.filter": ("Lọc", "Filter"),
    "common.clear": ("Xoá bộ lọc", "Clear"),
    "common.save": ("Lưu", "Save"),
    "common.add": ("Thêm", "Add"),
    "common.search": ("Tìm", "Search"),
    "common.actions": ("Thao tác", "Actions"),
    "common.reason": ("Lý do", "Reason"),
    "common.next_page": ("Trang sau", "Next page"),
    "common.all": ("Tất cả", "All"),
    "common.shown_once": (
        "Chỉ hiển thị một lần: hãy sao chép ngay, nút không thể hiển thị lại.",
        "Shown once: copy it now, the node cannot show it again.",
    ),
    "common.done": ("Đã thực hiện.", "Done."),
    "confirm.rotate": (
        "Đổi khoá bí mật? Hệ thống sẽ không gọi được nút cho đến khi dùng khoá mới.",
        "Rotate the secret? The system cannot call the node until it uses the new one.",
    ),
    "confirm.disable_system": (
        "Vô hiệu hoá hệ thống này? Mọi lệnh gọi của nó sẽ bị từ chối.",
        "Disable this system? Every call it makes will be refused.",
    ),
    "confirm.close_agency": (
        "Đóng mã cơ quan này? Văn bản gửi đến sẽ chuyển cho cơ quan kế thừa (nếu có).",
        "Close this agency? Traffic to it goes to the successor, if any.",
    ),
    "confirm.disable_user": (
        "Vô hiệu hoá người dùng này? Phiên đăng nhập của họ dừng ngay.",
        "Disable this person? Their session stops at once.",
    ),
    # overview
    "overview.title": ("Tổng quan", "Overview"),
    "overview.by_state": ("Bản sao theo trạng thái", "Copies by state"),
    "overview.failed_24h": ("Lỗi trong 24 giờ qua", "Failed in the last 24 h"),
    "overview.stuck": ("Bị kẹt", "Stuck"),
    "overview.oldest": ("Bản sao chờ nhận lâu nhất", "Oldest unconfirmed copy"),
    "overview.oldest_none": ("Không có bản sao nào đang chờ.", "No copy is waiting."),
    "overview.since": ("từ", "since"),
    "overview.upstream": ("Kết nối lên nút trên", "Upstream link"),
    "overview.upstream_none": (
        "Không cấu hình (nút quốc gia hoặc nút độc lập).",
        "Not configured (national or standalone node).",
    ),
    "overview.upstream_up": ("Hoạt động", "Up"),
    "overview.upstream_down": ("Mất kết nối", "Down"),
    "overview.upstream_unknown": ("Chưa có vòng nào", "No round yet"),
    "overview.last_success": ("Thành công gần nhất", "Last success"),
    "overview.documents": ("Gói tin đã lưu", "Packages stored"),
    "overview.outbox": ("Việc chờ gửi lên hàng đợi", "Outbox rows waiting"),
    "overview.show": ("Xem", "Show"),
    # copies
    "deliveries.title": ("Bản sao", "Deliveries"),
    "deliveries.state": ("Trạng thái", "State"),
    "deliveries.sender": ("Nơi gửi", "Sender"),
    "deliveries.recipient": ("Nơi nhận", "Recipient"),
    "deliveries.subtree": ("cả đơn vị trực thuộc", "with its subtree"),
    "deliveries.system": ("Hệ thống", "System"),
    "deliveries.fail_code": ("Mã lỗi", "Failure code"),
    "deliveries.number": ("Số, ký hiệu", "Number, notation"),
    "deliveries.subject": ("Trích yếu", "Subject"),
    "deliveries.since": ("Từ ngày", "From"),
    "deliveries.until": ("Đến ngày", "Until"),
    "deliveries.changed": ("Cập nhật", "Changed"),
    "deliveries.created": ("Tiếp nhận", "Accepted"),
    "deliveries.priority": ("Độ khẩn", "Priority"),
    "deliveries.sort": ("Sắp xếp", "Order"),
    "sort.-updated_at": ("Cập nhật mới nhất", "Latest change first"),
    "sort.updated_at": ("Cập nhật cũ nhất", "Oldest change first"),
    "sort.-created_at": ("Tiếp nhận mới nhất", "Latest accepted first"),
    "sort.created_at": ("Tiếp nhận cũ nhất", "Oldest accepted first"),
    "deliveries.empty": ("Không có bản sao nào khớp bộ lọc.", "No copy matches the filter."),
    "deliveries.count": ("bản sao", "copies"),
    "deliveries.stuck_only": ("Chỉ bản sao bị kẹt", "Stuck copies only"),
    "deliveries.replay_selected": (
        "Yêu cầu gửi lại các bản sao đã chọn",
        "Request a replay of the selected",
    ),
    "deliveries.replay_filter": (
        "Yêu cầu gửi lại toàn bộ theo bộ lọc",
        "Request a replay of everything the filter shows",
    ),
    "deliveries.unavailable": (
        "Nút này chưa có danh sách bản sao toàn nút.",
        "This node has no node-wide copy list yet.",
    ),
    # one copy
    "copy.title": ("Bản sao", "Copy"),
    "copy.document": ("Văn bản", "Document"),
    "copy.history": ("Lịch sử", "History"),
    "copy.event": ("Sự kiện", "Event"),
    "copy.time": ("Thời điểm", "Time"),
    "copy.actor": ("Thực hiện bởi", "By"),
    "copy.detail": ("Chi tiết", "Detail"),
    "copy.attempts": ("Các lần chuyển", "Attempts"),
    "copy.attachments": ("Tệp đính kèm", "Attachments"),
    "copy.hops": ("Hành trình gói tin", "Trace of the package"),
    "copy.statuses": ("Trạng thái xử lý", "Statuses"),
    "copy.last_error": ("Lỗi gần nhất", "Last error"),
    "copy.failures": ("Số lần bên nhận báo lỗi", "Receiver failures"),
    "copy.time_in_failure": ("Thời gian ở trạng thái lỗi", "Time spent failed"),
    "copy.legal_received": ("Thời điểm nhận hợp lệ", "Legal receipt time"),
    "copy.notice_deadline": ("Hạn thông báo đã nhận", "Notice deadline"),
    "copy.replay": ("Gửi lại ngay", "Replay now"),
    "copy.replay_reason": ("Lý do gửi lại", "Why replay"),
    "copy.replayed": (
        "Đã gửi lại: bản sao lại có trong danh sách chờ nhận của hệ thống.",
        "Replayed: the copy is back in its system's pull list.",
    ),
    "copy.not_replayable": (
        "Bản sao ở trạng thái này không gửi lại được.",
        "A copy in this state cannot be replayed.",
    ),
    # replay requests
    "replays.title": ("Yêu cầu gửi lại", "Replay requests"),
    "replays.requested_by": ("Người yêu cầu", "Requested by"),
    "replays.requested_at": ("Lúc", "At"),
    "replays.copies": ("Số bản sao", "Copies"),
    "replays.status": ("Tình trạng", "Status"),
    "replays.decided_by": ("Người duyệt", "Decided by"),
    "replays.approve": ("Duyệt", "Approve"),
    "replays.reject": ("Từ chối", "Reject"),
    "replays.empty": ("Chưa có yêu cầu nào.", "No request yet."),
    "replays.own": (
        "Yêu cầu của bạn: cần một người khác duyệt.",
        "Your own request: someone else approves it.",
    ),
    "replays.created": ("Đã tạo yêu cầu gửi lại.", "Replay request created."),
    "replays.filter": ("Phạm vi", "Selection"),
    "replays.selected": ("bản sao đã chọn", "copies chosen"),
    "replays.unavailable": (
        "Nút này chưa có chức năng yêu cầu gửi lại.",
        "This node has no replay requests yet.",
    ),
    # systems
    "systems.title": ("Hệ thống kết nối", "Connected systems"),
    "systems.id": ("Mã hệ thống", "System id"),
    "systems.description": ("Mô tả", "Description"),
    "systems.grants": ("Được gửi thay cho", "Grants"),
    "systems.enabled": ("Hoạt động", "Enabled"),
    "systems.last_seen": ("Hoạt động gần nhất", "Last activity"),
    "systems.last_seen_hint": (
        "Lần gần nhất một bản sao hệ thống gửi hoặc nhận thay đổi",
        "When a copy the system sent or receives last changed",
    ),
    "systems.counters_hint": (
        "Gói tin nhận từ hệ thống kể từ khi tiến trình khởi động / bản sao đang chờ hệ thống nhận",
        "Packages accepted from the system since this process started / copies waiting for it",
    ),
    "systems.counters": ("Gửi / chờ", "Sent / waiting"),
    "systems.disable": ("Vô hiệu hoá", "Disable"),
    "systems.enable": ("Kích hoạt", "Enable"),
    "systems.rotate": ("Đổi khoá bí mật", "Rotate secret"),
    "systems.grant_add": ("Thêm quyền", "Add grant"),
    "systems.grant_revoke": ("Thu hồi quyền", "Revoke grant"),
    "systems.new_secret": ("Khoá bí mật mới của", "New secret of"),
    "systems.admin": ("Quản trị danh mục", "Registry admin"),
    "systems.node_link": ("Liên kết nút", "Node link"),
    "systems.empty": ("Chưa có hệ thống nào.", "No system yet."),
    # registry
    "registry.title": ("Danh mục mã định danh cơ quan", "Agency registry"),
    "registry.query": ("Mã hoặc tên cơ quan", "Code or name"),
    "registry.code": ("Mã", "Code"),
    "registry.code102": ("Mã QCVN 102", "QCVN 102 code"),
    "registry.name": ("Tên cơ quan", "Name"),
    "registry.parent": ("Cơ quan cấp trên", "Parent"),
    "registry.status": ("Tình trạng", "Status"),
    "registry.successor": ("Cơ quan kế thừa", "Successor"),
    "registry.history": ("Lịch sử", "History"),
    "registry.add": ("Thêm cơ quan", "Add an agency"),
    "registry.close": ("Đóng mã", "Close"),
    "registry.close_on": ("Ngày hiệu lực", "Effective"),
    "registry.found": ("kết quả", "found"),
    "registry.more": ("Chỉ hiển thị 100 kết quả đầu.", "Only the first 100 are shown."),
    "registry.status.active": ("Đang hoạt động", "Active"),
    "registry.status.closed": ("Đã đóng", "Closed"),
    "registry.status.suspended": ("Tạm ngừng", "Suspended"),
    # calendar
    "calendar.title": ("Lịch làm việc", "Business calendar"),
    "calendar.previous": ("Tháng trước", "Previous month"),
    "calendar.next": ("Tháng sau", "Next month"),
    "calendar.month": ("Tháng", "Month"),
    "calendar.weekdays": ("T2 T3 T4 T5 T6 T7 CN", "Mon Tue Wed Thu Fri Sat Sun"),
    "calendar.overrides": ("Ngày điều chỉnh trong tháng", "Overrides this month"),
    "calendar.date": ("Ngày", "Date"),
    "calendar.kind": ("Loại", "Kind"),
    "calendar.name": ("Tên", "Name"),
    "calendar.source": ("Văn bản căn cứ", "Source"),
    "calendar.by": ("Người thêm", "Added by"),
    "calendar.add": ("Thêm ngày điều chỉnh", "Add an override"),
    "calendar.remove": ("Xoá", "Remove"),
    "calendar.from_table": ("bảng của nút", "node's table"),
    "calendar.version": ("Phiên bản lịch", "Calendar version"),
    "calendar.kind.working": ("Ngày làm việc", "Working day"),
    "calendar.kind.make_up": ("Làm bù", "Make-up day"),
    "calendar.kind.weekend": ("Cuối tuần", "Weekend"),
    "calendar.kind.holiday": ("Nghỉ lễ", "Holiday"),
    "calendar.kind.day_off": ("Nghỉ bù / nghỉ", "Day off"),
    # users
    "users.title": ("Người dùng", "Users"),
    "users.username": ("Tên đăng nhập", "Username"),
    "users.role": ("Vai trò", "Role"),
    "users.enabled": ("Hoạt động", "Enabled"),
    "users.created": ("Ngày tạo", "Created"),
    "users.add": ("Thêm người dùng", "Add a user"),
    "users.disable": ("Vô hiệu hoá", "Disable"),
    "users.enable": ("Kích hoạt", "Enable"),
    "users.reset": ("Đặt lại mật khẩu", "Reset password"),
    "users.new_password": ("Mật khẩu mới của", "New password of"),
    "users.unavailable": (
        "Nút này chưa có chức năng người dùng.",
        "This node has no user management yet.",
    ),
    "role.operator": ("Vận hành viên", "Operator"),
    "role.auditor": ("Kiểm toán viên", "Auditor"),
    "role.admin": ("Quản trị viên", "Admin"),
    # statistics (the Vietnamese words of gateway/core/stats/tables.py where it has them)
    "stats.title": ("Thống kê", "Statistics"),
    "stats.period": ("Kỳ", "Period"),
    "stats.scope": ("Phạm vi", "Scope"),
    "stats.whole_node": ("Toàn trục", "Whole node"),
    "stats.preset": ("Kỳ báo cáo", "Period"),
    "stats.show": ("Xem", "Show"),
    "stats.or": ("hoặc", "or"),
    "stats.from": ("Từ ngày", "From"),
    "stats.to": ("Đến ngày", "To"),
    "stats.show_range": ("Xem khoảng ngày", "Show the range"),
    "stats.agency": ("Cơ quan (gồm đơn vị trực thuộc)", "Agency (with its subtree)"),
    "stats.closed": ("đã đóng", "closed"),
    "stats.preset.this_month": ("Tháng này", "This month"),
    "stats.preset.last_month": ("Tháng trước", "Last month"),
    "stats.preset.this_quarter": ("Quý này", "This quarter"),
    "stats.preset.last_quarter": ("Quý trước", "Last quarter"),
    "stats.preset.this_half": ("6 tháng này", "This half year"),
    "stats.preset.last_half": ("6 tháng trước", "Last half year"),
    "stats.preset.this_year": ("Năm nay", "This year"),
    "stats.preset.last_year": ("Năm trước", "Last year"),
    "stats.freshness": ("Số liệu tính đến mục lịch sử", "Counted up to history entry"),
    "stats.newest": ("mới nhất", "newest"),
    "stats.updated": ("cập nhật cách đây {age}", "updated {age} ago"),
    "stats.never": ("chưa tính lần nào", "never counted yet"),
    "stats.behind": (
        "mục chưa được tính (bộ đếm đang cập nhật)",
        "entries not counted yet (the worker is catching up)",
    ),
    "stats.recount": (
        "bản sao chờ tính lại theo lịch làm việc mới",
        "copies waiting to be counted again with the new calendar",
    ),
    "stats.generated": ("Thời điểm lập", "Generated"),
    "stats.tile.sent": ("Văn bản gửi đi", "Documents sent"),
    "stats.tile.received": ("Văn bản đã nhận", "Copies received"),
    "stats.empty": ("Không có số liệu trong kỳ này.", "No figures in this period."),
    "stats.unknown": ("chưa đủ dữ liệu", "nothing to judge"),
    "stats.total": ("Tổng cộng", "Total"),
    "stats.value": ("Giá trị", "Value"),
    "stats.as_sender": ("Cơ quan gửi", "As sender"),
    "stats.as_recipient": ("Cơ quan nhận", "As recipient"),
    "stats.metric": ("Chỉ tiêu", "Figure"),
    "stats.headline": ("Số liệu chính", "Headline figures"),
    "stats.exports": ("Tải số liệu", "Download"),
    "stats.report": ("Báo cáo 6 tháng (XLSX)", "6-monthly report (XLSX)"),
    "stats.report_hint": (
        "Cùng số liệu với /api/v1/stats cho cùng kỳ và phạm vi.",
        "The same numbers as /api/v1/stats for the same period and scope.",
    ),
    "stats.all_sections": ("Mọi bảng", "Every section"),
    "stats.notice.monthly": (
        "Kỳ dài hơn 366 ngày: biểu đồ theo tháng thay cho theo ngày.",
        "The period is longer than 366 days: the chart is by month instead of by day.",
    ),
    "stats.notice.no_chart": (
        "Kỳ quá dài để vẽ biểu đồ theo ngày hoặc theo tháng; xem các bảng bên dưới.",
        "The period is too long for a chart by day or by month; see the tables below.",
    ),
    "stats.chart.daily": ("Số bản sao theo ngày và kết quả", "Copies per day by outcome"),
    "stats.chart.daily_desc": (
        "Cột chồng: mỗi ngày một cột, chia theo kết quả chuyển (đã nhận, đang chờ, lỗi, đã gỡ).",
        "Stacked bars: one per day, split by outcome (received, pending, failed, removed).",
    ),
    "stats.side.sent": ("bản sao gửi đi", "copies sent"),
    "stats.side.received": ("bản sao gửi đến", "copies addressed to it"),
    "stats.chart.monthly": ("Số bản sao theo tháng và kết quả", "Copies per month by outcome"),
    "stats.chart.monthly_desc": (
        "Cột chồng: mỗi tháng một cột, chia theo kết quả chuyển.",
        "Stacked bars: one per month, split by outcome.",
    ),
    "stats.chart.shares": ("Tỷ lệ đúng hạn theo cơ quan", "On-time shares per agency"),
    "stats.chart.shares_desc": (
        "Thanh ngang: tỷ lệ gửi đúng hạn và tỷ lệ thông báo đã nhận trong ngày của từng cơ quan.",
        "Horizontal bars: each agency's share of documents sent on time and of same-day "
        "receipt notices.",
    ),
    "stats.chart.hours": ("Văn bản nhận theo thứ và giờ", "Receipts by weekday and hour"),
    "stats.chart.hours_desc": (
        "Bản đồ nhiệt: số bản sao đã nhận theo thứ và giờ (+07:00); ô màu cam là ngoài giờ "
        "hành chính.",
        "Heat map: copies received by weekday and hour (+07:00); orange cells are out of "
        "office hours.",
    ),
    "stats.chart.backlog": ("Văn bản chờ nhận", "Copies waiting for their receiver"),
    "stats.chart.backlog_desc": (
        "Thanh ngang: bản sao đang chờ nhận theo thời gian làm việc đã chờ (tại thời điểm xem).",
        "Horizontal bars: copies waiting by working time waited (now).",
    ),
    "stats.weekdays": (
        "Thứ Hai|Thứ Ba|Thứ Tư|Thứ Năm|Thứ Sáu|Thứ Bảy|Chủ nhật",
        "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday",
    ),
    "stats.office": ("Trong giờ hành chính", "Office hours"),
    "stats.out_of_office": ("Ngoài giờ hành chính", "Out of office hours"),
    "stats.backlog.under_4h": ("dưới 4 giờ làm việc", "under 4 working hours"),
    "stats.backlog.under_1d": ("dưới 1 ngày làm việc", "under 1 working day"),
    "stats.backlog.under_3d": ("dưới 3 ngày làm việc", "under 3 working days"),
    "stats.backlog.older": ("từ 3 ngày làm việc trở lên", "3 working days or more"),
    "stats.outcome.received": ("Đã nhận", "Received"),
    "stats.outcome.pending": ("Đang chờ", "Pending"),
    "stats.outcome.failed": ("Lỗi", "Failed"),
    "stats.outcome.removed": ("Đã gỡ", "Removed"),
    "stats.doc.sent": ("Số văn bản gửi đi", "Documents sent"),
    "stats.doc.urgent": ("Văn bản khẩn (độ khẩn ≥ 1)", "Urgent documents (priority ≥ 1)"),
    "stats.doc.urgent_share": ("Tỷ lệ văn bản khẩn", "Urgent share"),
    "stats.doc.send_on_time": (
        "Gửi đúng hạn (QĐ 28/2018; NĐ 30/2020 Đ.18(1))",
        "Sent on time (QĐ 28/2018; NĐ 30/2020 Art. 18(1))",
    ),
    "stats.doc.send_late": ("Gửi muộn", "Sent late"),
    "stats.doc.send_unknown": ("Không xác định được hạn gửi", "Send deadline unknown"),
    "stats.doc.send_on_time_share": ("Tỷ lệ gửi đúng hạn", "Sent on time, share"),
    "stats.doc.signatures": ("Chữ ký số", "Signature"),
    "stats.copy.copies": ("Số bản sao", "Copies"),
    "stats.copy.technical_p50": (
        "Thời gian kỹ thuật (gửi → xác nhận): trung vị (p50, phút)",
        "Technical delay (sent → confirmed): median (p50, minutes)",
    ),
    "stats.copy.technical_p95": (
        "Thời gian kỹ thuật (gửi → xác nhận): p95 (phút)",
        "Technical delay (sent → confirmed): p95 (minutes)",
    ),
    "stats.copy.legal_p50": (
        "Thời gian pháp lý (phút làm việc): trung vị (p50, phút)",
        "Legal delay (working minutes): median (p50)",
    ),
    "stats.copy.legal_p95": (
        "Thời gian pháp lý (phút làm việc): p95 (phút)",
        "Legal delay (working minutes): p95",
    ),
    "stats.copy.out_of_hours": ("Nhận ngoài giờ hành chính", "Received out of office hours"),
    "stats.copy.out_of_hours_share": ("Tỷ lệ nhận ngoài giờ", "Out-of-hours share"),
    "stats.copy.notice_on_time": (
        "Thông báo đã nhận trong ngày (01/03)",
        "Receipt notified the same day (01/03)",
    ),
    "stats.copy.notice_late": ("Thông báo muộn hoặc quá hạn", "Notified late or not at all"),
    "stats.copy.notice_share": ("Tỷ lệ thông báo trong ngày", "Same-day notice share"),
    "stats.copy.processing_on_time": ("Hoàn thành đúng hạn (06)", "Processed by the due date (06)"),
    "stats.copy.processing_late": ("Hoàn thành quá hạn", "Processed late"),
    "stats.copy.processing_overdue": ("Quá hạn chưa hoàn thành", "Overdue, still open"),
    "stats.copy.processing_open": ("Chưa đến hạn", "Not due yet"),
    "stats.copy.processing_share": ("Tỷ lệ hoàn thành đúng hạn", "Processed on time, share"),
    "signature.valid": ("hợp lệ", "valid"),
    "signature.invalid": ("không hợp lệ", "invalid"),
    "signature.untrusted": ("không tin cậy", "untrusted"),
    "signature.placeholder": ("chữ ký giả (placeholder)", "placeholder"),
    "signature.absent": ("không có chữ ký", "no signature"),
    "signature.unknown": ("chưa xác định", "unknown"),
    "stats.table.documents": ("Văn bản gửi đi", "Documents sent"),
    "stats.table.copies": ("Kết quả chuyển văn bản", "Outcomes of the copies"),
    "stats.table.delays": ("Thời gian nhận văn bản", "Receipt delays"),
    "stats.table.notices": ("Thông báo đã nhận và phản hồi", "Receipt notices and answers"),
    "stats.table.processing": ("Xử lý văn bản theo hạn", "Processing by the due date"),
    "stats.table.backlog": ("Văn bản chờ nhận", "Copies waiting"),
    "stats.table.signatures": ("Chữ ký số của văn bản", "Signatures of the documents"),
    "stats.table.receipts": ("Văn bản nhận theo thứ và giờ", "Receipts by weekday and hour"),
    "stats.table.agencies": ("Thống kê theo cơ quan", "Figures per agency"),
    "stats.table.daily": ("Số lượng văn bản theo ngày", "Volumes per day"),
    "stats.agency.code": ("Mã định danh", "Code"),
    "stats.agency.name": ("Tên cơ quan", "Name"),
    "stats.agency.parent": ("Cơ quan cấp trên", "Parent"),
    "stats.agency.merged": ("Gồm cơ quan đã sáp nhập", "Merged agencies included"),
    "stats.agency.sent": ("Văn bản gửi đi", "Documents sent"),
    "stats.agency.sent_on_time": ("Gửi đúng hạn", "Sent on time"),
    "stats.agency.sent_late": ("Gửi muộn", "Sent late"),
    "stats.agency.copies_sent": ("Bản sao gửi đi", "Copies sent"),
    "stats.agency.failed": ("Bản sao gửi lỗi", "Copies failed"),
    "stats.agency.received": ("Văn bản đã nhận", "Received"),
    "stats.agency.received_out_of_hours": ("Nhận ngoài giờ", "Received out of hours"),
    "stats.agency.notice_on_time": ("Thông báo đã nhận trong ngày", "Notified the same day"),
    "stats.agency.notice_late": ("Thông báo muộn hoặc quá hạn", "Notified late or not at all"),
    "stats.agency.rejected": ("Từ chối (02)", "Rejected (02)"),
    "stats.agency.overdue_open": ("Quá hạn xử lý chưa hoàn thành", "Overdue, still open"),
    # audit
    "audit.title": ("Nhật ký kiểm toán", "Audit log"),
    "audit.seq": ("STT", "Seq"),
    "audit.at": ("Thời điểm", "Time"),
    "audit.actor": ("Người thực hiện", "Actor"),
    "audit.action": ("Hành động", "Action"),
    "audit.target": ("Đối tượng", "Target"),
    "audit.channel": ("Kênh", "Channel"),
    "audit.verify": ("Kiểm tra chuỗi băm", "Verify the chain"),
    "audit.verified": ("Chuỗi băm toàn vẹn", "Chain verified"),
    "audit.entries": ("mục", "entries"),
    "audit.broken": ("Chuỗi băm bị phá vỡ tại mục", "Chain broken at entry"),
    "audit.unavailable": (
        "Nút này chưa có nhật ký kiểm toán.",
        "This node has no audit log yet.",
    ),
    # audit actions (gateway.core.actors.Action)
    "action.sign_in": ("Đăng nhập", "Signed in"),
    "action.sign_in_failed": ("Đăng nhập thất bại", "Sign-in failed"),
    "action.sign_out": ("Đăng xuất", "Signed out"),
    "action.user_added": ("Thêm người dùng", "User added"),
    "action.user_disabled": ("Vô hiệu hoá người dùng", "User disabled"),
    "action.user_enabled": ("Kích hoạt người dùng", "User enabled"),
    "action.user_password_changed": ("Đổi mật khẩu", "Password changed"),
    "action.user_locked": ("Tạm khoá tài khoản", "User locked"),
    "action.token_created": ("Tạo mã truy cập", "Token created"),
    "action.token_revoked": ("Thu hồi mã truy cập", "Token revoked"),
    "action.system_added": ("Thêm hệ thống", "System added"),
    "action.system_disabled": ("Vô hiệu hoá hệ thống", "System disabled"),
    "action.system_enabled": ("Kích hoạt hệ thống", "System enabled"),
    "action.system_secret_rotated": ("Đổi khoá bí mật", "Secret rotated"),
    "action.system_token_rotated": ("Đổi mã truy cập hệ thống", "System token rotated"),
    "action.system_granted": ("Đổi quyền hệ thống", "System grants changed"),
    "action.registry_changed": ("Sửa danh mục cơ quan", "Registry changed"),
    "action.calendar_override": ("Điều chỉnh lịch", "Calendar override"),
    "action.replay_run": ("Gửi lại bản sao", "Copy replayed"),
    "action.replay_requested": ("Yêu cầu gửi lại", "Replay requested"),
    "action.replay_approved": ("Duyệt gửi lại", "Replay approved"),
    "action.replay_rejected": ("Từ chối gửi lại", "Replay rejected"),
    "action.replay_completed": ("Hoàn tất gửi lại", "Replay completed"),
    # copy history (gateway.core.model.EventKind)
    "event.accepted": ("Tiếp nhận", "Accepted"),
    "event.redirected": ("Chuyển cơ quan kế thừa", "Redirected to successor"),
    "event.available": ("Sẵn sàng để nhận", "Available"),
    "event.fetched": ("Hệ thống nhận tải về", "Fetched"),
    "event.confirmed": ("Đã nhận", "Confirmed"),
    "event.receiver_failed": ("Bên nhận báo lỗi", "Receiver failed"),
    "event.failed": ("Lỗi", "Failed"),
    "event.status": ("Trạng thái xử lý", "Status"),
    "event.linked": ("Văn bản liên quan", "Linked"),
    "event.removed": ("Đã gỡ", "Removed"),
    "event.forwarded": ("Chuyển tiếp lên trục", "Forwarded"),
    "event.reported": ("Nút sau báo kết quả", "Reported"),
    "event.replayed": ("Gửi lại", "Replayed"),
    # copy states (gateway.core.model.DeliveryState)
    "state.queued": ("Đang xếp hàng", "Queued"),
    "state.available": ("Chờ nhận", "Available"),
    "state.received": ("Đã nhận", "Received"),
    "state.failed": ("Lỗi", "Failed"),
    "state.removed": ("Đã gỡ", "Removed"),
    "state.forwarded": ("Đã chuyển tiếp", "Forwarded"),
    # replay request states
    "replay.pending": ("Chờ duyệt", "Pending"),
    "replay.approved": ("Đã duyệt, đang gửi lại", "Approved, running"),
    "replay.rejected": ("Đã từ chối", "Rejected"),
    "replay.expired": ("Đã hết hạn", "Expired"),
    "replay.done": ("Hoàn tất", "Completed"),
}

CATALOGS: Mapping[str, Mapping[str, str]] = {
    language: {key: pair[index] for key, pair in _MESSAGES.items()}
    for index, language in enumerate(LANGUAGES)
}


@dataclass(frozen=True)
class Translator:
    """The words of one language; an unknown key shows as itself (a bug a test catches)."""

    language: str

    def __call__(self, key: str) -> str:
        return CATALOGS[self.language].get(key, key)

    def state(self, value: object) -> str:
        """The label of a copy state (``failed`` -> ``Lỗi``)."""
        text = str(getattr(value, "value", value))
        return CATALOGS[self.language].get(f"state.{text}", text)

    def role(self, value: object) -> str:
        """The label of a role."""
        text = str(getattr(value, "value", value))
        return CATALOGS[self.language].get(f"role.{text}", text)

    def event(self, value: object) -> str:
        """The label of a copy's history entry."""
        text = str(getattr(value, "value", value))
        return CATALOGS[self.language].get(f"event.{text}", text)

    def action(self, value: object) -> str:
        """The label of an audit action."""
        text = str(getattr(value, "value", value))
        return CATALOGS[self.language].get(f"action.{text}", text)

    def signature(self, value: str) -> str:
        """The label of a document's signature class (``valid`` -> ``hợp lệ``)."""
        return CATALOGS[self.language].get(f"signature.{value}", value)

    def error(self, code: str) -> str:
        """The sentence for an error code (a generic one when the catalog has none)."""
        return CATALOGS[self.language].get(f"error.{code}") or self("error.other")

    @property
    def other(self) -> str:
        """The language the switch offers."""
        return next(lang for lang in LANGUAGES if lang != self.language)


def choose_language(query: str | None, cookie: str | None) -> str:
    """``?lang=`` when it names a language, else the cookie's, else Vietnamese."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
