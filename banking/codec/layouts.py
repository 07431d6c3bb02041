"""The record layouts: ACHP01 / ACHR01 (250 bytes) and ACHP02 mandates (220 bytes), one field table each."""

from __future__ import annotations

from banking.codec.codes import ACHP01, ACHP02, ACHR01, RECEIVING_UNIT, VERSION
from banking.codec.records import RecordSpec, _table

# Fields both record families share, declared once.
_BOF = ("bof", 3, "X", "首錄別", {"constant": "BOF"})
_EOF = ("eof", 3, "X", "尾錄別", {"constant": "EOF"})
_TDATE = ("tdate", 8, "9", "處理日期")
_SORG = ("sorg", 7, "9", "發送單位代號")
_RORG = ("rorg", 7, "9", "接收單位代號", {"default": RECEIVING_UNIT})
_VERNO = ("verno", 3, "X", "版次", {"default": VERSION})
_TCOUNT = ("tcount", 8, "9", "總筆數")
_CNO = ("cno", 20, "X", "用戶號碼")
_NOTE = ("note", 40, "X", "發動者專用區", {"default": ""})
_NOTEB = ("noteb", 20, "X", "發動行專用區", {"default": ""})
_CID = ("cid", 10, "X", "發動者統一編號")


def _filler(width: int) -> tuple:
    """The blank filler that pads a record to its length."""
    return ("filler", width, "X", "備用", {"default": ""})


# --- ACHP01 / ACHR01 (250 bytes) ---------------------------------------------------------
P01_HEADER = _table(
    "header",
    250,
    [
        _BOF,
        ("cdata", 6, "X", "資料代號"),
        _TDATE,
        ("ttime", 6, "9", "處理時間"),
        _SORG,
        _RORG,
        _VERNO,
        _filler(210),
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
        _CID,
        ("pid", 10, "X", "收受者統一編號"),
        ("sid", 6, "X", "上市上櫃公司代號", {"default": ""}),
        ("pdate", 8, "9", "原提示交易日期", {"default": None, "blank_allowed": True}),
        ("pseq", 8, "9", "原提示交易序號", {"default": None, "blank_allowed": True}),
        ("pschd", 1, "X", "原提示交換次序", {"default": ""}),
        _CNO,
        _NOTE,
        ("memo", 10, "X", "存摺摘要", {"default": ""}),
        ("cfee", 5, "9", "客戶支付手續費", {"default": 0}),
        _NOTEB,
        _filler(39),
    ],
)
P01_TRAILER = _table(
    "trailer",
    250,
    [
        _EOF,
        ("cdata", 6, "X", "資料代號"),
        _TDATE,
        _SORG,
        _RORG,
        _TCOUNT,
        ("tamt", 16, "9", "總金額"),
        ("ydate", 8, "9", "前一營業日", {"default": None, "blank_allowed": True}),
        _filler(187),
    ],
)

# --- ACHP02 mandates (220 bytes) ---------------------------------------------------------
P02_HEADER = _table(
    "header",
    220,
    [
        _BOF,
        ("cdata", 6, "X", "資料代號", {"constant": ACHP02}),
        _TDATE,
        _SORG,
        _VERNO,
        _filler(193),
    ],
)
P02_DETAIL = _table(
    "detail",
    220,
    [
        ("seq", 6, "9", "交易序號"),
        ("txid", 3, "9", "交易代號"),
        _CID,
        ("rbank", 7, "9", "委繳戶往來行"),
        ("rclno", 16, "9", "委繳戶帳號"),
        ("pid", 10, "X", "委繳戶統一編號"),
        _CNO,
        ("admark", 1, "X", "新增或取消"),
        ("date", 8, "9", "日期"),
        ("pbank", 7, "9", "提出行代號"),
        _NOTE,
        ("type", 1, "X", "交易型態", {"default": "N"}),
        ("reply", 1, "X", "回覆訊息", {"default": ""}),
        ("limit", 8, "9", "扣款限額", {"default": None, "blank_allowed": True}),
        ("cntype", 1, "X", "授權類別", {"default": ""}),
        ("enddate", 8, "9", "扣款終止日", {"default": None, "blank_allowed": True}),
        _NOTEB,
        _filler(53),
    ],
)
P02_TRAILER = _table(
    "trailer",
    220,
    [
        _EOF,
        _TCOUNT,
        _filler(209),
    ],
)

LAYOUTS: dict[str, tuple[RecordSpec, RecordSpec, RecordSpec]] = {
    ACHP01: (P01_HEADER, P01_DETAIL, P01_TRAILER),
    ACHR01: (P01_HEADER, P01_DETAIL, P01_TRAILER),
    ACHP02: (P02_HEADER, P02_DETAIL, P02_TRAILER),
}
