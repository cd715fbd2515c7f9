"""The words on a statement, in English and Russian; one place, so HTML and Excel agree."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "statement": "Statement", "index": "Statements", "period": "Period",
        "payer": "Client", "name": "Name", "tax_id": "Tax ID", "currency": "Currency",
        "credit_limit": "Credit limit", "postpay": "Postpay", "manager": "Manager",
        "deferral_days": "Deferral, days", "block_after_days": "Block after, days",
        "yes": "yes", "no": "no", "unlimited": "unlimited", "none": "—",
        "group": "Accounts of the group", "linked": "linked", "unlinked": "unlinked",
        "opening": "Opening balance", "payments": "Payments", "refunds": "Refunds",
        "withdrawals": "Withdrawals", "corrections": "Corrections", "expenses": "Expenses",
        "closing": "Closing balance", "available": "Available", "flags": "Flags",
        "lines": "Transactions", "date": "Date", "kind": "Kind", "line_id": "Number",
        "account": "Account", "description": "Description", "amount": "Amount",
        "rate": "Rate", "amount_payer": "In payer currency", "balance": "Balance",
        "source": "Source", "net": "Net", "discount": "Discount", "tax": "Tax",
        "subtotals": "Per account", "spent": "Spent", "spent_in_payer_currency":
        "Spent in payer currency", "totals": "Totals", "ageing": "Ageing of the debt",
        "days": "days", "debt": "Debt", "run_id": "Run", "inputs_sha256": "Inputs SHA-256",
        "row": "row", "sheet": "sheet", "inverse": "inverse", "statements": "Statements",
        "lines_count": "Lines", "summary": "Summary", "no_lines": "No transactions in the period.",
        "payment": "payment", "refund": "refund", "withdrawal": "withdrawal",
        "correction": "correction", "expense": "expense",
        "over_limit": "over limit", "overdue": "overdue", "to_block": "to block",
        "0-30": "0–30", "31-60": "31–60", "61-90": "61–90", "over_90": "over 90",
        "login": "Login", "never": "never", "age_days": "Age, days", "files": "Files",
        "no_statements": "No statements for the period.",
        "draft": "draft", "draft_mark": "Draft",
        "draft_title": "Draft — some inputs were refused",
        "draft_statement": "This statement may be incomplete: it lacks what was refused from "
                           "these files:",
        "draft_index": "Statements marked “draft” may be incomplete: they lack what was "
                       "refused from these files:",
        "draft_rejects": "The refused rows, each with its errors, are in",
        "draft_where": "in the period folder. Fix them and run again: the statements are "
                       "rebuilt without this mark.",
        "draft_refused": "not loaded — the whole file was refused",
        "draft_refused_rows": "not loaded — the whole file was refused (rows with errors: {n})",
        "draft_partial": "rows refused: {n}, the others loaded",
        "draft_touches": "rows of this statement's accounts are among those refused, or may be",
        "draft_spares": "none of the refused rows names this statement's accounts",
        "page": "Page", "page_of": "of", "units": "Units", "inverse_rate": "Inverse rate",
        "load_id": "Load", "discount_pct": "Discount, %", "discount_source": "Discount row",
        "tax_pct": "Tax, %", "tax_source": "Tax row", "rate_source": "Rate used",
        "html": "HTML", "xlsx": "Excel", "pdf": "PDF",
        "related": "Related accounts", "region": "region", "search": "Search",
        "search_hint": "login, name, account or region", "flag_filter": "Flags",
        "all": "all", "any_flag": "any", "no_flag": "none", "shown": "Shown",
        "blocked": "blocked",
        "sort_hint": "Click a column's header to sort by it.",
    },
    "ru": {
        "statement": "Выписка", "index": "Выписки", "period": "Период",
        "payer": "Клиент", "name": "Наименование", "tax_id": "ИНН", "currency": "Валюта",
        "credit_limit": "Кредитный лимит", "postpay": "Оплата по факту", "manager": "Менеджер",
        "deferral_days": "Отсрочка, дней", "block_after_days": "Блокировать через, дней",
        "yes": "да", "no": "нет", "unlimited": "без ограничения", "none": "—",
        "group": "Аккаунты группы", "linked": "связан", "unlinked": "отвязан",
        "opening": "Входящий остаток", "payments": "Платежи", "refunds": "Возвраты",
        "withdrawals": "Выводы средств", "corrections": "Корректировки", "expenses": "Расходы",
        "closing": "Исходящий остаток", "available": "Доступно", "flags": "Отметки",
        "lines": "Операции", "date": "Дата", "kind": "Вид", "line_id": "Номер",
        "account": "Аккаунт", "description": "Описание", "amount": "Сумма",
        "rate": "Курс", "amount_payer": "В валюте плательщика", "balance": "Остаток",
        "source": "Источник", "net": "Без скидки и налога", "discount": "Скидка", "tax": "Налог",
        "subtotals": "По аккаунтам", "spent": "Израсходовано", "spent_in_payer_currency":
        "В валюте плательщика", "totals": "Итого", "ageing": "Возраст задолженности",
        "days": "дней", "debt": "Задолженность", "run_id": "Запуск",
        "inputs_sha256": "SHA-256 исходных файлов", "row": "строка", "sheet": "лист",
        "inverse": "обратный", "statements": "Выписки", "lines_count": "Операций",
        "summary": "Сводка", "no_lines": "Операций за период нет.",
        "payment": "платёж", "refund": "возврат", "withdrawal": "вывод средств",
        "correction": "корректировка", "expense": "расход",
        "over_limit": "превышен лимит", "overdue": "просрочка", "to_block": "к блокировке",
        "0-30": "0–30", "31-60": "31–60", "61-90": "61–90", "over_90": "более 90",
        "login": "Логин", "never": "никогда", "age_days": "Возраст, дней", "files": "Файлы",
        "no_statements": "Выписок за период нет.",
        "draft": "черновик", "draft_mark": "Черновик",
        "draft_title": "Черновик — часть входных данных отклонена",
        "draft_statement": "Выписка может быть неполной: в ней нет данных, отклонённых из этих "
                           "файлов:",
        "draft_index": "Выписки с отметкой «черновик» могут быть неполными: в них нет данных, "
                       "отклонённых из этих файлов:",
        "draft_rejects": "Отклонённые строки с их ошибками — в файле",
        "draft_where": "в папке периода. Исправьте их и запустите обработку снова: выписки "
                       "будут пересобраны без этой отметки.",
        "draft_refused": "не загружен — файл отклонён целиком",
        "draft_refused_rows": "не загружен — файл отклонён целиком (строк с ошибками: {n})",
        "draft_partial": "отклонено строк: {n}, остальные загружены",
        "draft_touches": "среди отклонённых есть (или могут быть) строки счетов этой выписки",
        "draft_spares": "ни одна отклонённая строка не относится к счетам этой выписки",
        "page": "Страница", "page_of": "из", "units": "Единиц", "inverse_rate": "Обратный курс",
        "load_id": "Загрузка", "discount_pct": "Скидка, %", "discount_source": "Строка скидки",
        "tax_pct": "Налог, %", "tax_source": "Строка налога", "rate_source": "Чей курс",
        "html": "HTML", "xlsx": "Excel", "pdf": "PDF",
        "related": "Связанные аккаунты", "region": "регион", "search": "Поиск",
        "search_hint": "логин, наименование, аккаунт или регион", "flag_filter": "Отметки",
        "all": "все", "any_flag": "любая", "no_flag": "без отметок", "shown": "Показано",
        "blocked": "заблокирован",
        "sort_hint": "Щёлкните заголовок столбца, чтобы упорядочить по нему.",
    },
}
LOCALES = {"en": "en_US", "ru": "ru_RU"}


def labels(locale: str) -> dict[str, str]:
    return LABELS[locale]


def refusal_text(status: str, rows_refused: int, locale: str,
                 touches: bool | None = None) -> str:
    """What became of a refused input file, after its name in a draft banner; on a statement,
    also whether its refused rows name the statement's accounts."""
    words = LABELS[locale]
    if status == "partial":
        text = words["draft_partial"].format(n=rows_refused)
    elif rows_refused:
        text = words["draft_refused_rows"].format(n=rows_refused)
    else:
        text = words["draft_refused"]
    if touches is None:
        return text
    return f"{text}; {words['draft_touches' if touches else 'draft_spares']}"


assert LABELS["en"].keys() == LABELS["ru"].keys(), "every label exists in both languages"
