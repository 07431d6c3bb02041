"""The record layouts: ACHP01 / ACHR01 (250 bytes) and ACHP02 mandates (220 bytes), one field table each."""

from __future__ import annotations

from banking.codec.codes import ACHP01, ACHP02, ACHR01, RECEIVING_UNIT, VERSION
from banking.codec.records import RecordSpec, _table

# --- ACHP01 / ACHR01 (250 bytes) ---------------------------------------------------------
P01_HEADER = _table(
    "header",
    250,
    [
        ("bof", 3, "X", "首錄別", {"constant": "BOF"}),
        ("cdata", 6, "X", "資料代號"),
        ("tdate", 8, "9", "處理日期"),
        ("ttime", 6, "9", "處理時間"),
        ("sorg", 7, "9", "發送單位代號"),
        ("rorg", 7, "9", "接收單位代號", {"default": RECEIVING_UNIT}),
        ("verno", 3, "X", "版次", {"default": VERSION}),
        ("filler", 210, "X", "備用", {"default": ""}),
    ],
)
P01_DETAIL = _table(
    "detail",
    250,
    [
        ("type", 1, "X", "交易型態"),
        ("txtype", 2, "X", "交易類別"),
        ("txid", 3, "9", "交易代號"),
        ("seq", 8, "9", "交易序號"),
        ("pbank", 7, "9", "提出行代號"),
        ("pclno", 16, "9", "發動者帳號"),
        ("rbank", 7, "9", "提回行代號"),
        ("rclno", 16, "9", "收受者帳號"),
        ("amt", 10, "9", "金額"),
        ("rcode", 2, "9", "退件理由代號", {"default": None, "blank_allowed": True}),
        ("schd", 1, "X", "提示交換次序", {"default": "B"}),
        ("cid", 10, "X", "發動者統一編號"),
        ("pid", 10, "X", "收受者統一編號"),
        ("sid", 6, "X", "上市上櫃公司代號", {"default": ""}),
        ("pdate", 8, "9", "原提示交易日期", {"default": None, "blank_allowed": True}),
        ("pseq", 8, "9", "原提示交易序號", {"default": None, "blank_allowed": True}),
        ("pschd", 1, "X", "原提示交換次序", {"default": ""}),
        ("cno", 20, "X", "用戶號碼"),
        ("note", 40, "X", "發動者專用區", {"default": ""}),
        ("memo", 10, "X", "存摺摘要", {"default": ""}),
        ("cfee", 5, "9", "客戶支付手續費", {"default": 0}),
        ("noteb", 20, "X", "發動行專用區", {"default": ""}),
        ("filler", 39, "X", "備用", {"default": ""}),
    ],
)
P01_TRAILER = _table(
    "trailer",
    250,
    [
        ("eof", 3, "X", "尾錄別", {"constant": "EOF"}),
        ("cdata", 6, "X", "資料代號"),
        ("tdate", 8, "9", "處理日期"),
        ("sorg", 7, "9", "發送單位代號"),
        ("rorg", 7, "9", "接收單位代號", {"default": RECEIVING_UNIT}),
        ("tcount", 8, "9", "總筆數"),
        ("tamt", 16, "9", "總金額"),
        ("ydate", 8, "9", "前一營業日", {"default": None, "blank_allowed": True}),
        ("filler", 187, "X", "備用", {"default": ""}),
    ],
)

# --- ACHP02 mandates (220 bytes) ---------------------------------------------------------
P02_HEADER = _table(
    "header",
    220,
    [
        ("bof", 3, "X", "首錄別", {"constant": "BOF"}),
        ("cdata", 6, "X", "資料代號", {"constant": ACHP02}),
        ("tdate", 8, "9", "處理日期"),
        ("sorg", 7, "9", "發送單位代號"),
        ("verno", 3, "X", "版次", {"default": VERSION}),
        ("filler", 193, "X", "備用", {"default": ""}),
    ],
)
P02_DETAIL = _table(
    "detail",
    220,
    [
        ("seq", 6, "9", "交易序號"),
        ("txid", 3, "9", "交易代號"),
        ("cid", 10, "X", "發動者統一編號"),
        ("rbank", 7, "9", "委繳戶往來行"),
        ("rclno", 16, "9", "委繳戶帳號"),
        ("pid", 10, "X", "委繳戶統一編號"),
        ("cno", 20, "X", "用戶號碼"),
        ("admark", 1, "X", "新增或取消"),
        ("date", 8, "9", "日期"),
        ("pbank", 7, "9", "提出行代號"),
        ("note", 40, "X", "發動者專用區", {"default": ""}),
        ("type", 1, "X", "交易型態", {"default": "N"}),
        ("reply", 1, "X", "回覆訊息", {"default": ""}),
        ("limit", 8, "9", "扣款限額", {"default": None, "blank_allowed": True}),
        ("cntype", 1, "X", "授權類別", {"default": ""}),
        ("enddate", 8, "9", "扣款終止日", {"default": None, "blank_allowed": True}),
        ("noteb", 20, "X", "發動行專用區", {"default": ""}),
        ("filler", 53, "X", "備用", {"default": ""}),
    ],
)
P02_TRAILER = _table(
    "trailer",
    220,
    [
        ("eof", 3, "X", "尾錄別", {"constant": "EOF"}),
        ("tcount", 8, "9", "總筆數"),
        ("filler", 209, "X", "備用", {"default": ""}),
    ],
)

LAYOUTS: dict[str, tuple[RecordSpec, RecordSpec, RecordSpec]] = {
    ACHP01: (P01_HEADER, P01_DETAIL, P01_TRAILER),
    ACHR01: (P01_HEADER, P01_DETAIL, P01_TRAILER),
    ACHP02: (P02_HEADER, P02_DETAIL, P02_TRAILER),
}
