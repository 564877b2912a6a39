"""The Chinese catalogue: English message template -> Chinese template, same ``{fields}``.

Read by :meth:`tracelab._i18n.Message.render`. A key is the exact English template a
``msg(...)`` call gives (tests/test_messages.py checks that every template in tracelab/
is here, with the same fields). Option names, codes, values and function names stay as
they are inside the Chinese sentence; the reader is an epidemiologist at a county CDC.
"""

from __future__ import annotations

__all__ = ["ZH"]

ZH: dict[str, str] = {
    # tracelab._i18n, shared words
    "{head} or {last}": "{head} 或 {last}",
    # tracelab._db
    "{path}: not a tracelab store (not a DuckDB database file)":
        "{path}：不是 tracelab 数据库（不是 DuckDB 数据库文件）",
    "process {pid}": "进程 {pid}",
    "another process": "另一个进程",
    "{path}: in use by {who} for over {wait_seconds:.0f} s; wait for it to finish and retry":
        "{path}：正被 {who} 占用，已超过 {wait_seconds:.0f} 秒；请等它结束后重试",
    # tracelab._time, tracelab._validate
    "{table} column {name!r} has dtype {dtype}; expected tz-aware UTC times (load {table} "
    "with tracelab.read_{table})":
        "{table} 的列 {name!r} 类型为 {dtype}；应为带时区的 UTC 时间（请用 "
        "tracelab.read_{table} 读取 {table}）",
    "{name}={value!r} is naive; give a tz-aware time, e.g. pd.Timestamp('2022-11-20 08:00', "
    "tz='Asia/Shanghai')":
        "{name}={value!r} 没有时区；请给带时区的时间，例如 pd.Timestamp('2022-11-20 08:00', "
        "tz='Asia/Shanghai')",
    "{name}: {now!r} has no time zone; give e.g. '2022-11-25T08:00:00Z'":
        "{name}：{now!r} 没有时区；请写成例如 '2022-11-25T08:00:00Z'",
    "{what} lacks column(s) {missing}; it has {shown}": "{what} 缺少列 {missing}；现有列：{shown}",
    "{what} lacks column(s) {missing}; it has {shown}; {hint}":
        "{what} 缺少列 {missing}；现有列：{shown}；{hint}",
    "on_invalid={on_invalid!r}; allowed: raise, reject (there is no silent drop)":
        "on_invalid={on_invalid!r} 不可用；可选 raise、reject（不会悄悄丢弃）",
    # tracelab.analysis
    "visits: give visits (t_in, t_out), scans (scanned_at) or exposures (case_t_in, "
    "case_t_out)":
        "visits：请给停留记录（t_in、t_out）、扫码记录（scanned_at）或暴露表（case_t_in、"
        "case_t_out）",
    "cases need confirmed_at (or sampled_at, onset_at) to date the areas":
        "病例需要 confirmed_at（或 sampled_at、onset_at）才能确定区域的划定日期",
    "rule={regime!r}; the area rules know {known}": "rule={regime!r} 不是已知的区域划定规则；可选：{known}",
    "as_of={as_of!r} is naive; give a tz-aware time, e.g. pd.Timestamp('2022-11-20 08:00', "
    "tz='Asia/Shanghai')":
        "as_of={as_of!r} 没有时区；请给带时区的时间，例如 pd.Timestamp('2022-11-20 08:00', "
        "tz='Asia/Shanghai')",
    "cases column {col!r} has dtype {dtype}; give tz-aware UTC times (load with "
    "tracelab.io.read_cases)":
        "病例表的列 {col!r} 类型为 {dtype}；应为带时区的 UTC 时间（请用 tracelab.io.read_cases 读取）",
    "cases column {col!r} has dtype {dtype}; give tz-aware times (load with "
    "tracelab.io.read_cases)":
        "病例表的列 {col!r} 类型为 {dtype}；应为带时区的时间（请用 tracelab.io.read_cases 读取）",
    "exposures: {n} row(s) name a case_id that is not in cases; give the cases that were "
    "traced":
        "exposures：{n} 行的 case_id 不在病例表中；请给出被追踪的病例",
    "{name} snapshot has version {version!r}; expected {expected} (make it with "
    "tracelab.analysis.comparison.snapshot)":
        "{name} 快照的版本为 {version!r}，应为 {expected}（请用 "
        "tracelab.analysis.comparison.snapshot 生成）",
    "by={by!r}; allowed: 'onset', 'report'": "by={by!r} 不可用；可选 'onset'、'report'",
    "by={by!r} needs them": "by={by!r} 需要这些列",
    "township=True needs township_code in cases, or persons= with person_id and "
    "township_code":
        "township=True 需要病例表有 township_code 列，或给出含 person_id 和 township_code "
        "的 persons=",
    # tracelab.cli
    "--calls-per-day {calls_per_day}: give the number of people the teams can reach per day, "
    "at least 1":
        "--calls-per-day {calls_per_day}：请给各队每天能联系到的人数，至少 1",
    "{option} {path}: the extension decides the format; use {allowed}":
        "{option} {path}：输出格式由扩展名决定，请用 {allowed}",
    "{option} {text!r} has no zone; add one, e.g. {text}+08:00":
        "{option} {text!r} 没有时区；请加上时区，例如 {text}+08:00",
    "--columns: give a JSON object, tracelab column -> header":
        "--columns：请给一个 JSON 对象（tracelab 列名 -> 表头）",
    "--columns {text}: no such file (or give a JSON object)":
        "--columns {text}：文件不存在（也可直接给 JSON 对象）",
    "--columns: not valid JSON ({exc})": "--columns：不是有效的 JSON（{exc}）",
    "--zone {zone!r} is not an IANA zone such as Asia/Shanghai":
        "--zone {zone!r} 不是 IANA 时区名（例如 Asia/Shanghai）",
    "--days {days}: give 1 to {most} days": "--days {days}：请给 1 到 {most} 天",
    "--audit {audit}: folder {parent} does not exist": "--audit {audit}：文件夹 {parent} 不存在",
    "{path}: cannot tell whether this is a venues, scans or cases table (name it venues.*, "
    "scans.* or cases.*)":
        "{path}：无法判断是场所表、扫码表还是病例表（请命名为 venues.*、scans.* 或 cases.*）",
    # tracelab.governance
    "min_cell: {min_cell!r} must be >= 1": "min_cell：{min_cell!r} 必须 >= 1",
    "counts: must be non-negative": "counts：不能为负数",
    "period: {period!r} leaves out {outside} entries of venue {venue_id!r}; widen it":
        "period：{period!r} 漏掉了场所 {venue_id!r} 的 {outside} 条记录；请放宽时段",
    "scans: {n} scans name venues absent from venues; load both with read_dir, which "
    "rejects them":
        "scans：{n} 条扫码记录的场所不在场所表中；请用 read_dir 一起读取两表，它会拒收这些记录",
    "period: {period!r} must be two ISO days such as ('2022-11-18', '2022-11-30')":
        "period：{period!r} 应为两个 ISO 日期，例如 ('2022-11-18', '2022-11-30')",
    "--exposures {file}: no such file": "--exposures {file}：文件不存在",
    "--exposures {name}: no exposure rows, so nobody to call":
        "--exposures {name}：没有暴露记录，无人需要联系",
    "{found}: the persons table has no person_id (人员编号) column, so its names and phones "
    "cannot be matched; add it or remove the file":
        "{found}：人员表没有 person_id（人员编号）列，无法匹配姓名和电话；请补上该列或移走该文件",
    "ranked has case_id: one row per (case, contact) pair; the call list needs "
    "rank_contacts(..., per='contact')":
        "ranked 含 case_id：每行是一对（病例，接触者）；名单需要 "
        "rank_contacts(..., per='contact') 的结果",
    "ranked: rank {n} is {tier!r}, but calls_per_day={calls_per_day} makes it {expected!r}; "
    "rank with rank_contacts(..., calls_per_day={calls_per_day})":
        "ranked：第 {n} 名为 {tier!r}，但按 calls_per_day={calls_per_day} 应为 {expected!r}；"
        "请用 rank_contacts(..., calls_per_day={calls_per_day}) 排序",
    "ranked: {n} contact(s) are not in exposures, e.g. {example!r}; rank the same exposures "
    "you pass":
        "ranked：{n} 名接触者不在暴露表中，例如 {example!r}；请对传入的同一份暴露表排序",
    "ranked: contact_id holds {n} value(s) that are not pseudonyms, e.g. {example!r}; trace "
    "pseudonymised data":
        "ranked：contact_id 有 {n} 个值不是假名，例如 {example!r}；请用假名化后的数据追踪",
    "--exposures {name}: {suffix!r} is not an exposures file; give the .csv (or .parquet) "
    "`tracelab trace` writes":
        "--exposures {name}：{suffix!r} 不是暴露表文件；请给 `tracelab trace` 写出的 .csv"
        "（或 .parquet）",
    "--exposures {name}: {column} holds {n} value(s) that are not pseudonyms, e.g. "
    "{example!r}; give the file `tracelab trace` writes (person ids pseudonymised)":
        "--exposures {name}：{column} 有 {n} 个值不是假名，例如 {example!r}；请给 "
        "`tracelab trace` 写出的文件（人员编号已假名化）",
    "--exposures {name}: hop and overlap_minutes must be numbers":
        "--exposures {name}：hop 和 overlap_minutes 必须是数字",
    "{found}: the persons table cannot be read ({kind}); give CSV, XLSX or Parquet":
        "{found}：无法读取人员表（{kind}）；请给 CSV、XLSX 或 Parquet 文件",
    "--exposures {name}: column {column} holds a value that is not an ISO 8601 time with its "
    "offset, e.g. 2022-11-18T08:05:00+08:00":
        "--exposures {name}：列 {column} 有值不是带时差的 ISO 8601 时间（应如 "
        "2022-11-18T08:05:00+08:00）",
    "give the file `tracelab trace` writes": "请给 `tracelab trace` 写出的文件",
    "pass rank_contacts(exposures, ..., calls_per_day=N) output":
        "请传入 rank_contacts(exposures, ..., calls_per_day=N) 的结果",
    "pass rank_contacts(...) output": "请传入 rank_contacts(...) 的结果",
    "give read_exposures(...) of the file `tracelab trace` wrote":
        "请给 read_exposures(...) 读入的 `tracelab trace` 输出文件",
    "--out {target}: is a folder; name a .xlsx or .csv file":
        "--out {target}：这是文件夹；请写 .xlsx 或 .csv 文件名",
    "fmt={fmt!r}; allowed: 'csv', 'xlsx' (or a .csv / .xlsx path)":
        "fmt={fmt!r} 不可用；可选 'csv'、'xlsx'（或 .csv / .xlsx 路径）",
    "--data {path}: none of the {n} contact(s) is a person of this folder under this key; "
    "give the folder and key the exposures were traced with":
        "--data {path}：{n} 名接触者在此密钥下都不是该文件夹中的人员；请给追踪这些暴露时所用的"
        "文件夹和密钥",
    "calls_per_day={calls_per_day!r}; give a whole number of people the teams can reach per "
    "day, at least 1":
        "calls_per_day={calls_per_day!r} 不可用；请给各队每天能联系到的人数（整数，至少 1）",
    "now: {now!r} has no time zone; give e.g. '2022-12-01T00:00Z'":
        "now：{now!r} 没有时区；请写成例如 '2022-12-01T00:00Z'",
    "scans, rejections: give raw scans with venues, or a rejection table":
        "scans、rejections：请给原始扫码记录和场所表，或给拒收表",
    "venues: needed with scans, to know which venues are registered":
        "venues：给扫码记录时也要给场所表，才能知道哪些场所已登记",
    "lang={lang!r}; allowed: 'zh' (Chinese, the default), 'en'":
        "lang={lang!r} 不可用；可选 'zh'（中文，默认）、'en'",
    "{where}: role {text!r} is not lower-case letters, digits, '_' or '-' starting with a "
    "letter (at most 32)":
        "{where}：角色名 {text!r} 不合规；应以小写字母开头，只含小写字母、数字、'_' 或 '-'"
        "（最多 32 个字符）",
    "{where}: role {text!r} is built in and cannot be redefined; give your role another name":
        "{where}：角色 {text!r} 是内置角色，不能重新定义；请给你的角色换个名字",
    "{where}: role {text!r} has view {v!r}; allowed: 'rows', 'aggregates'":
        "{where}：角色 {text!r} 的 view 为 {v!r}；可选 'rows'、'aggregates'",
    "{where}: role {text!r} reveals {bad!r}; allowed: {names} (or nothing)":
        "{where}：角色 {text!r} 要显示 {bad!r}；只能显示 {names}（或都不显示）",
    "{where}: role {text!r} sees aggregates only, so it can reveal nothing; drop {parts!r} "
    "or give it view 'rows'":
        "{where}：角色 {text!r} 只看汇总，不能显示任何信息；请去掉 {parts!r}，或把 view 设为 "
        "'rows'",
    "{where}: role {text!r}: reveal must be a list or ';'-joined text":
        "{where}：角色 {text!r}：reveal 应为列表或用 ';' 连接的文本",
    "--roles {file}: no such file": "--roles {file}：文件不存在",
    "--roles {name}: give a list of objects with role, view and reveal, or "
    '{{"roles": [...]}}':
        '--roles {name}：请给含 role、view、reveal 的对象列表，或 {{"roles": [...]}}',
    "--roles {name}: {suffix!r} is not a roles file; give a .csv or .json file":
        "--roles {name}：{suffix!r} 不是角色文件；请给 .csv 或 .json 文件",
    "--roles {name} row {row}: role {role!r} is defined twice":
        "--roles {name} 第 {row} 行：角色 {role!r} 重复定义",
    "--roles {name}: not valid JSON ({exc})": "--roles {name}：不是有效的 JSON（{exc}）",
    "--roles {name}: missing column(s) {missing}; a roles file has role, view, reveal and "
    "optionally title_zh, title_en":
        "--roles {name}：缺少列 {missing}；角色文件应有 role、view、reveal 列，可选 title_zh、"
        "title_en",
    "--roles {name}: cannot be read as CSV ({kind})": "--roles {name}：无法按 CSV 读取（{kind}）",
    "no suffix": "无扩展名",
    "days={days!r}; give a whole number of days from 1 to {most}":
        "days={days!r} 不可用；请给 1 到 {most} 的整数天数",
    "key: revealing needs the county key": "key：显示姓名和电话需要本县密钥",
    # tracelab.index
    "visits: t_out before t_in in {backwards} row(s); build visits with visits()":
        "visits：{backwards} 行的 t_out 早于 t_in；请用 visits() 生成停留记录",
    "venues: venue_type {unknown} not in the venue-type table; allowed: {names}":
        "venues：venue_type {unknown} 不在场所类型表中；可选：{names}",
    "scans: {n} venue_id(s) not in venues, e.g. {unknown}; load with tracelab.io.read_dir, "
    "which rejects unknown venues":
        "scans：{n} 个 venue_id 不在场所表中，例如 {unknown}；请用 tracelab.io.read_dir 读取，"
        "它会拒收未知场所",
    "quantiles={quantiles!r} must satisfy 0 <= low <= high <= 1":
        "quantiles={quantiles!r} 须满足 0 <= low <= high <= 1",
    "scans: {n} exit_at before scanned_at (reason exit_before_entry); reject them on load":
        "scans：{n} 条记录的 exit_at 早于 scanned_at（原因 exit_before_entry）；请在读取时拒收",
    "cases: person_id listed twice ({examples}); give each case once":
        "cases：person_id 重复出现（{examples}）；每个病例只列一次",
    "cases: {n} case(s) without a usable window (neither onset_at nor sampled_at), e.g. "
    "{examples}; fix them or pass on_invalid='reject'":
        "cases：{n} 个病例没有可用的时间窗（既无 onset_at 也无 sampled_at），例如 {examples}；"
        "请补全，或传 on_invalid='reject'",
    "{folder}: arrays {names} do not fit {n} visits and {people} people; the index folder is "
    "damaged or of another store":
        "{folder}：数组 {names} 与 {n} 条停留记录、{people} 人对不上；索引文件夹已损坏，或属于另一个"
        "数据库",
    "older_than_days: {days!r} must be a whole number of days >= 0":
        "older_than_days：{days!r} 应为 >= 0 的整数天数",
    "now: {now!r} has no time zone; give e.g. '2022-11-25T00:00:00+08:00'":
        "now：{now!r} 没有时区；请写成例如 '2022-11-25T00:00:00+08:00'",
    "--append {folder}: no such folder": "--append {folder}：文件夹不存在",
    "--append {folder}: no venues, scans or cases table":
        "--append {folder}：没有场所表、扫码表或病例表",
    "--append {folder}: these files were appended already ({source}); the store holds them "
    "once":
        "--append {folder}：这些文件已经追加过（{source}）；数据库中只保留一份",
    "--store {store}: the key given is not the one the store was built with":
        "--store {store}：给出的密钥不是建库时所用的密钥",
    # tracelab.io
    "--store {path}: {manifest} is not a tracelab store manifest":
        "--store {path}：{manifest} 不是 tracelab 数据库的清单文件",
    "--store {path}: is a file; a store is a folder (give a new or empty folder)":
        "--store {path}：这是文件；数据库应是文件夹（请给一个新的或空的文件夹）",
    "--store {path}: the folder holds other files and is not a tracelab store; give a new or "
    "empty folder":
        "--store {path}：该文件夹里有其他文件，不是 tracelab 数据库；请给一个新的或空的文件夹",
    "--store {path}: not a tracelab store (no {manifest}); build one with `tracelab ingest "
    "--data DIR --store {path}`":
        "--store {path}：不是 tracelab 数据库（没有 {manifest}）；请用 `tracelab ingest --data DIR "
        "--store {path}` 建库",
    "--store {path}: the manifest names generation {listed} but the database holds generation "
    "{committed}; restore both from the same backup":
        "--store {path}：清单记的是第 {listed} 代，数据库里却是第 {committed} 代；请从同一份备份"
        "同时恢复两者",
    "--store {path}: another ingest, append or purge has been at work for over "
    "{wait_seconds:.0f} s; wait for it to finish and retry":
        "--store {path}：另一个导入、追加或清除操作已运行超过 {wait_seconds:.0f} 秒；请等它结束后"
        "重试",
    "profile={profile!r}; allowed: {names}": "profile={profile!r} 不可用；可选：{names}",
    "reason: {reason!r} is not a code of schema.REASONS":
        "reason：{reason!r} 不是 schema.REASONS 中的原因代码",
    "{target}: the extension {suffix} is not a table format; use {allowed}":
        "{target}：扩展名 {suffix} 不是表格格式；请用 {allowed}",
    "keep_personal: {unknown!r} are not columns of the frame":
        "keep_personal：{unknown!r} 不是表中的列",
    "(none)": "（无）",
    "pass the right encoding= (utf-8, gbk, gb18030, utf-16)":
        "请指定正确的 encoding=（utf-8、gbk、gb18030、utf-16）",
    "text": "文本",
    "a number": "数字",
    "a list": "列表",
    "an object": "对象",
    "type {kind!r}": "类型 {kind!r}",
    "an object of type {kind}": "类型为{kind}的对象",
    "{name}: binary data, not text: most of its first characters are control, private-use "
    "or unassigned ones":
        "{name}：是二进制数据，不是文本：开头的字符大多是控制字符、私用字符或未分配字符",
    "{name}: the header line cannot be decoded as {encoding} ({reason} at byte {offset:,}); "
    "{hint}":
        "{name}：表头行无法按 {encoding} 解码（第 {offset:,} 字节：{reason}）；{hint}",
    "{name}: cannot decode as {encoding}: {n:,} of {rows:,} rows hold bytes that are not "
    "{encoding} text (the first at byte {offset:,}, line {line}: {reason}); {hint}":
        "{name}：无法按 {encoding} 解码：{rows:,} 行中有 {n:,} 行含非 {encoding} 字节（首处在"
        "第 {line} 行、第 {offset:,} 字节：{reason}）；{hint}",
    "{name}: expected a GeoJSON FeatureCollection, got {got}":
        "{name}：应为 GeoJSON FeatureCollection，实际为{got}",
    "{name}: features is {kind}, not a list of Feature objects":
        "{name}：features 为{kind}，不是 Feature 对象的列表",
    "columns: {unknown} are not tracelab columns; map onto {names}":
        "columns：{unknown} 不是 tracelab 的列；请映射到 {names}",
    "{path}: no such file": "{path}：文件不存在",
    "{name}: the JSON is nested too deeply to read; a GeoJSON FeatureCollection of points "
    "nests five levels":
        "{name}：JSON 嵌套太深，无法读取；点要素的 GeoJSON FeatureCollection 只有五层",
    "{name}: not UTF-8 text ({reason} at byte {start:,}); GeoJSON is UTF-8 (RFC 7946)":
        "{name}：不是 UTF-8 文本（第 {start:,} 字节：{reason}）；GeoJSON 应为 UTF-8（RFC 7946）",
    "{name}: not valid JSON ({what} at line {lineno}, column {colno})":
        "{name}：不是有效的 JSON（第 {lineno} 行第 {colno} 列：{what}）",
    "{name}: not valid JSON ({exc})": "{name}：不是有效的 JSON（{exc}）",
    "{name}: cannot decode as {used_encoding} ({reason} at byte {start}); {hint}":
        "{name}：无法按 {used_encoding} 解码（第 {start} 字节：{reason}）；{hint}",
    "encoding: unknown codec {encoding!r}; use utf-8, gbk, gb18030 or utf-16":
        "encoding：未知编码 {encoding!r}；请用 utf-8、gbk、gb18030 或 utf-16",
    "{name}: cannot be parsed: {kind}": "{name}：无法解析：{kind}",
    "{name}: the text is neither UTF-8, UTF-16 nor GBK/GB18030 ({failing:,} of {n:,} lines "
    "fail under each); re-save it as UTF-8 or pass encoding= explicitly":
        "{name}：文本既不是 UTF-8、UTF-16，也不是 GBK/GB18030（每种编码下 {n:,} 行中都有 "
        "{failing:,} 行出错）；请另存为 UTF-8，或明确指定 encoding=",
    "{name}: cannot be parsed as {suffix}: {kind}{detail}":
        "{name}：无法按 {suffix} 解析：{kind}{detail}",
    "{name}: unsupported file type {suffix!r}; use one of {names}":
        "{name}：不支持的文件类型 {suffix!r}；请用 {names} 之一",
    "{manifest}: the folder is of {label}, not {asked} as asked; pass --region {code} "
    "(region={code!r}) or leave it out":
        "{manifest}：该文件夹属于 {label}，不是指定的 {asked}；请用 --region {code}"
        "（region={code!r}），或不指定地区",
    "--data {folder}: no such folder": "--data {folder}：文件夹不存在",
    "{manifest}: not valid JSON ({exc})": "{manifest}：不是有效的 JSON（{exc}）",
    "{folder}: no {stem} table ({names})": "{folder}：没有 {stem} 表（{names}）",
    "write_partitioned: frame lacks {time_column!r}; columns: {columns}":
        "write_partitioned：表中没有 {time_column!r} 列；现有列：{columns}",
    "within: {within!r} is negative; give a duration such as '2min'":
        "within：{within!r} 为负；请给时长，例如 '2min'",
    "{source}: cannot tell which region this registry covers (区县 {county} names no shipped "
    "region); pass region= (--region) with a code, a name or your own township table":
        "{source}：无法判断此场所登记表属于哪个地区（区县 {county} 不是内置地区）；请用 "
        "region=（--region）给出代码、名称或你自己的乡镇表",
    "{source}: this registry is of {label}, not {asked} as asked: none of its venues lies in "
    "{name}; pass --region {code} (region={code!r}) or leave it out to infer it":
        "{source}：此场所登记表属于 {label}，不是指定的 {asked}：没有场所位于 {name}；请用 "
        "--region {code}（region={code!r}），或不指定、由程序推断",
    # tracelab.model
    "crs={crs!r} is not supported; use one of {names}. BD-09 (Baidu) is not supported: "
    "convert it to GCJ-02 first. pyproj cannot do GCJ-02 because it is an obfuscation, not "
    "a CRS.":
        "crs={crs!r} 不支持；请用 {names} 之一。不支持 BD-09（百度）：请先转换为 GCJ-02。"
        "pyproj 不能处理 GCJ-02，因为它是加偏算法，不是坐标系。",
    "cell_m={cell_m!r} must be a positive number of metres, e.g. 800.0":
        "cell_m={cell_m!r} 应为正的米数，例如 800.0",
    "x and y must be finite; {n} of {size} points are NaN or infinite: drop or fix them "
    "before gridding":
        "x 和 y 必须是有限数；{size} 个点中有 {n} 个是 NaN 或无穷大：请在划网格前删除或修正",
    "value={shown!r} is not a mainland mobile number: expected 11 digits matching the "
    "libphonenumber CN mobile pattern (e.g. 13x, 15x, 18x), optionally after +86, 0086 or "
    "86, with spaces or hyphens":
        "value={shown!r} 不是大陆手机号：应为符合 libphonenumber 中国手机号规则的 11 位数字"
        "（如 13x、15x、18x），前面可带 +86、0086 或 86，可含空格或连字符",
    "organisation codes": "组织机构代码",
    "sole-trader registration numbers": "个体工商户注册号",
    "resident IDs": "居民身份证号",
    "mobile numbers": "手机号",
    "body17={value!r} must be a string of 17 characters": "body17={value!r} 应为 17 个字符的字符串",
    "body8={value!r} must be 8 ASCII digits or capitals":
        "body8={value!r} 应为 8 个 ASCII 数字或大写字母",
    "body14={value!r} must be 14 ASCII digits": "body14={value!r} 应为 14 个 ASCII 数字",
    "body17={value!r} must be 17 ASCII digits": "body17={value!r} 应为 17 个 ASCII 数字",
    "kind={kind!r} is not an owner ID kind; use one of {names}":
        "kind={kind!r} 不是经营者证件类型；请用 {names} 之一",
    "kind={kind!r} is not a mask kind; use 'name', 'id' or 'phone'":
        "kind={kind!r} 不是遮蔽类型；请用 'name'、'id' 或 'phone'",
    "n={n!r} must be >= 0": "n={n!r} 必须 >= 0",
    "n={n} exceeds the {population} distinct {what} available; lower n or widen the range":
        "n={n} 超过了可用的 {population} 个不同{what}；请减小 n 或扩大范围",
    "division={division!r} must be a 6-digit GB/T 2260 code, e.g. '360000' (Jiangxi)":
        "division={division!r} 应为 6 位 GB/T 2260 代码，例如 '360000'（江西）",
    "prefix={prefix!r} must be 2 USCC characters, e.g. '91' or '92'":
        "prefix={prefix!r} 应为 2 个统一社会信用代码字符，例如 '91' 或 '92'",
    "need {year}-01-01 <= birth_from <= birth_to <= today; got birth_from={birth_from!r}, "
    "birth_to={birth_to!r}":
        "须满足 {year}-01-01 <= birth_from <= birth_to <= 今天；实际 birth_from={birth_from!r}，"
        "birth_to={birth_to!r}",
    "sex={sex!r} must be 'male', 'female' or None": "sex={sex!r} 应为 'male'、'female' 或 None",
    "{what}={value!r} holds a character outside the allowed alphabet":
        "{what}={value!r} 含有不允许的字符",
    "birth_from={birth_from!r} and birth_to={birth_to!r} must be ISO dates such as "
    "'1997-01-01'":
        "birth_from={birth_from!r} 和 birth_to={birth_to!r} 应为 ISO 日期，例如 '1997-01-01'",
    "reference table {filename!r} not found; looked in: {names}. Install the tracelab wheel "
    "or run from a source checkout that has data/reference/.":
        "找不到参考表 {filename!r}；已查找：{names}。请安装 tracelab 的 wheel 包，或在含 "
        "data/reference/ 的源码目录中运行。",
    "reference table {path}: missing columns {missing}": "参考表 {path}：缺少列 {missing}",
    "reference table {path}: empty or invalid values in {bad}":
        "参考表 {path}：{bad} 中有空值或无效值",
    "reference table {path}: duplicate {key} {dup}": "参考表 {path}：{key} 重复：{dup}",
    "reference table {file}: {column} values {bad} not in {levels}":
        "参考表 {file}：{column} 的值 {bad} 不在 {levels} 中",
    "venue type {label!r} is unknown; allowed: {allowed} (or their codes or English names, "
    "see tracelab.model.reference.venue_types())":
        "未知场所类型 {label!r}；可选：{allowed}（或其代码、英文名，见 "
        "tracelab.model.reference.venue_types()）",
    "venue-type label {label!r} names both {index!r} and {code!r}":
        "场所类型名 {label!r} 同时指向 {index!r} 和 {code!r}",
    "region {code_or_name!r} is not a shipped region (the county-level divisions of {names}, "
    "e.g. {code} {name}); give a 6-digit code or name of one, or a township table (.csv with "
    "township_code, township, seat_lon, seat_lat) or GeoJSON of your own":
        "地区 {code_or_name!r} 不是内置地区（内置的是 {names} 的各县级区划，例如 {code} "
        "{name}）；请给其中之一的 6 位代码或名称，或你自己的乡镇表（含 township_code、"
        "township、seat_lon、seat_lat 的 .csv）或 GeoJSON",
    "region file {path}: no such file": "地区文件 {path}：文件不存在",
    "region file {name}: needs townships with {names}; missing {missing}":
        "地区文件 {name}：乡镇需有 {names}；缺少 {missing}",
    "rows": "数据行",
    "margin_m must be a finite number >= 0, got {margin_m!r}":
        "margin_m 应为 >= 0 的有限数，实际为 {margin_m!r}",
    "region {code_or_name!r} names {n} counties ({names}); give the 6-digit code":
        "地区 {code_or_name!r} 对应 {n} 个县（{names}）；请给 6 位代码",
    "region file {name}: give a .csv township table or a .geojson":
        "地区文件 {name}：请给 .csv 乡镇表或 .geojson",
    "region file {name}: not a GeoJSON FeatureCollection":
        "地区文件 {name}：不是 GeoJSON FeatureCollection",
    # tracelab.privacy: audit log and anchor
    "store: {store!r}: no such database file": "store：{store!r}：数据库文件不存在",
    "the in-memory database": "内存数据库",
    "the database": "该数据库",
    "audit: the log of {where} does not match its anchor, so nothing was appended: "
    "{problem}":
        "audit：{where} 的日志与锚点不符，未追加任何记录：{problem}",
    "counts: {bad!r} must map names to non-negative integers":
        "counts：{bad!r} 应为名称到非负整数的映射",
    "audit: {query} is a person-level query; pass audit=<Store or DuckDB path> or set the "
    "environment variable {env}, so that it is logged":
        "audit：{query} 是个人级查询，必须记入审计日志；请传 audit=<Store 或 DuckDB 路径>，"
        "或设置环境变量 {env}",
    "audit: {path!r}: folder {parent!r} does not exist; create it or name another database "
    "file":
        "audit：{path!r}：文件夹 {parent!r} 不存在；请先创建，或换一个数据库文件",
    "store: {store!r} has no audit table: it is not a tracelab store":
        "store：{store!r} 没有审计表：不是 tracelab 数据库",
    "store: an in-memory database has no anchor file to adopt":
        "store：内存数据库没有锚点文件，无法重新锚定",
    "store: the anchor {file!r} is keyed (HMAC); set {env} to the key to adopt, or the new "
    "anchor would not be keyed":
        "store：锚点 {file!r} 带密钥（HMAC）；请把 {env} 设为该密钥后再重新锚定，否则新锚点将"
        "不带密钥",
    "store: the log matches its anchor {file!r} ({state}); there is nothing to adopt":
        "store：日志与锚点 {file!r} 一致（{state}）；无需重新锚定",
    "it holds {got}, not the fields {fields}": "其字段为 {got}，应为 {fields}",
    "format {value!r} is not {expected!r}": "格式 {value!r} 不是 {expected!r}",
    "count, seq or hash is malformed": "count、seq 或 hash 格式错误",
    "mac is not null nor 64 hex digits": "mac 既不是 null，也不是 64 位十六进制数",
    "it is not UTF-8 text": "不是 UTF-8 文本",
    "it is not JSON ({what} at line {lineno})": "不是 JSON（第 {lineno} 行：{what}）",
    "intent is not null nor {{'seq': seq + 1, 'hash': <64 hex digits>}}":
        "intent 既不是 null，也不是 {{'seq': seq + 1, 'hash': <64 位十六进制数>}}",
    "an in-memory database has no anchor file: a cut or rebuilt log is not detected":
        "内存数据库没有锚点文件：无法发现被截断或重建的日志",
    "the anchor file {name} is not a tracelab anchor: {err}":
        "锚点文件 {name} 不是 tracelab 锚点：{err}",
    "anchor missing: the log holds {rows} entries but there is no anchor file {name} beside "
    "the store; it was deleted, or the store was written by a tracelab from before anchors "
    "(check it, then adopt it with `tracelab audit --store FILE --adopt`)":
        "缺少锚点：日志有 {rows} 条，但数据库旁没有锚点文件 {name}；它被删除了，或数据库由加入"
        "锚点之前的 tracelab 写成（请核查后用 `tracelab audit --store FILE --adopt` 重新锚定）",
    "the anchor is keyed (HMAC): set {env} to the key it was written with to append to this "
    "log":
        "锚点带密钥（HMAC）：要追加到此日志，请把 {env} 设为写入锚点时的密钥",
    "the anchor is keyed (HMAC) but {env} is not set: its HMAC was not checked":
        "锚点带密钥（HMAC），但未设置 {env}：未核验其 HMAC",
    "the anchor's HMAC does not match: the anchor file was rewritten without the key, or "
    "{env} is not the key it was written with":
        "锚点的 HMAC 不符：锚点文件在没有密钥的情况下被改写，或 {env} 不是写入时的密钥",
    "the anchor is not keyed although {env} is set: it was replaced by someone without the "
    "key, or every append so far ran without {env} (then re-anchor it with `tracelab audit "
    "--adopt` under the key)":
        "已设置 {env}，但锚点不带密钥：它被没有密钥的人替换了，或此前每次追加都没有设置 {env}"
        "（如是后者，请在该密钥下用 `tracelab audit --adopt` 重新锚定）",
    "the log is empty but its anchor names {m} entries: every entry was deleted, or the "
    "table dropped and re-created":
        "日志为空，但锚点记有 {m} 条：所有记录被删除，或审计表被删后重建",
    "entries {first} to {m} named by the anchor are missing: the newest entries were cut off":
        "锚点记录的第 {first} 到 {m} 条缺失：最新的记录被截掉了",
    "entry {m} differs from the anchor: the chain was rebuilt after a change at or before "
    "entry {m}":
        "第 {m} 条与锚点不符：第 {m} 条或更早的记录被改动后，整条链被重建",
    "entries {first} to {last_seq} were added after the anchor ({m} entries) without "
    "record_query: forged":
        "第 {first} 到 {last_seq} 条是在锚点（{m} 条）之后绕过 record_query 添加的：系伪造",
    "the log holds {rows} rows but its anchor counts {expected}: rows were deleted":
        "日志有 {rows} 行，锚点记为 {expected} 行：有记录被删除",
    "the log holds {rows} rows but its anchor counts {expected}: rows were added":
        "日志有 {rows} 行，锚点记为 {expected} 行：有记录被添加",
    "entry {seq} was committed but the process stopped before the anchor was finalised; it "
    "is the entry the anchor announced (the next append finalises the anchor)":
        "第 {seq} 条已提交，但进程在锚点确定前停止；这正是锚点预告的那一条（下次追加时会确定"
        "锚点）",
    "anchor: {anchor!r} is not '<seq>:<64 hex digits>' as printed by "
    "`tracelab audit --verify`":
        "anchor：{anchor!r} 不是 `tracelab audit --verify` 输出的 '<seq>:<64 位十六进制数>' 格式",
    "entry {seq} is missing (next is {next})": "第 {seq} 条缺失（下一条是第 {next} 条）",
    "prev_hash does not match the previous entry's hash": "prev_hash 与上一条的哈希不符",
    "a field is empty": "有字段为空",
    "hash does not match the entry: it was edited": "哈希与记录内容不符：记录被修改过",
    "the chain was rewritten: this entry differs from the anchor": "链被重写：此条与锚点不符",
    "entries {first} to {last} of the anchor are missing: the log was cut":
        "锚点中的第 {first} 到 {last} 条缺失：日志被截断",
    # tracelab.privacy: identifiers, keys, purposes
    " (and {n} more column(s))": "（另有 {n} 列）",
    "{what}: column {column} holds {count} raw identifier(s), e.g. {example!r}{more}; "
    "pseudonymise first (tracelab.io.pseudonymise_data, or key= where offered)":
        "{what}：列 {column} 含 {count} 个原始身份标识，例如 {example!r}{more}；请先假名化"
        "（tracelab.io.pseudonymise_data，或在支持处传 key=）",
    'make one with `openssl rand -hex 32` or `python -c "import secrets; '
    'print(secrets.token_hex(32))"`':
        '可用 `openssl rand -hex 32` 或 `python -c "import secrets; '
        'print(secrets.token_hex(32))"` 生成',
    "key file {path!r}": "密钥文件 {path!r}",
    "environment variable {env}": "环境变量 {env}",
    "it is the public demo key, for synthetic data only": "这是公开的演示密钥，只能用于合成数据",
    "it has {n} different byte(s), at least {least} are needed":
        "只有 {n} 种不同的字节，至少需要 {least} 种",
    "it carries about {bits:.0f} bits, at least {least} are needed":
        "约含 {bits:.0f} 比特，至少需要 {least} 比特",
    "the {where} holds {n} bytes; a key needs at least {least} ({hint})":
        "{where} 只有 {n} 字节；密钥至少需要 {least} 字节（{hint}）",
    "the {where} is refused: {weak} ({hint})": "{where} 不能用：{weak}（{hint}）",
    "{n} bytes": "{n} 字节",
    "key: got {shown}; need bytes of at least {least} (use load_key)":
        "key：收到 {shown}；需要至少 {least} 字节的 bytes（请用 load_key）",
    "key: refused, {weak} ({hint})": "key：不能用，{weak}（{hint}）",
    "value: an identifier is missing; only present values get a pseudonym":
        "value：缺少身份标识；只有非空值才有假名",
    "columns: {missing!r} not in the frame; it has {columns!r}":
        "columns：{missing!r} 不在表中；现有列：{columns!r}",
    "kinds: {bad!r} name absent columns or unknown kinds; use columns of the frame and kinds "
    "'name', 'id', 'phone' or 'person'":
        "kinds：{bad!r} 指向不存在的列或未知类型；请用表中的列，类型为 'name'、'id'、'phone' "
        "或 'person'",
    "path={key_path!r}: no such key file": "path={key_path!r}：密钥文件不存在",
    "no pseudonymisation key: set the environment variable {env} or pass a key file "
    "(path=...); demo mode (demo=True) uses a public demo key for synthetic data only":
        "没有假名化密钥：请设置环境变量 {env}，或给出密钥文件（path=...）；演示模式（demo=True）"
        "使用公开的演示密钥，只能用于合成数据",
    "a case or investigation id such as 'case:p_89e942357569d1ea' or 'inv:LX-2022-11-007'":
        "病例或调查编号，例如 'case:p_89e942357569d1ea' 或 'inv:LX-2022-11-007'",
    "purpose: a person-level query needs a purpose, {example}; got {purpose!r}":
        "purpose：个人级查询需要注明用途，即{example}；收到 {purpose!r}",
    "purpose: must be text, got {kind}; use {example}": "purpose：应为文本，收到 {kind}；请用{example}",
    "purpose: {text!r} holds a phone or ID number; cite the case by its pseudonym or an "
    "investigation number instead":
        "purpose：{text!r} 含有电话号码或证件号；请改用病例假名或调查编号",
    "purpose: {text!r} is not {allowed} followed by 1-64 letters, digits, '.', '_' or '-'; "
    "use {example}":
        "purpose：{text!r} 格式不对，应为 {allowed} 后接 1-64 个字母、数字、'.'、'_' 或 '-'；"
        "请用{example}",
    "purpose: {scheme}:{masked!r} looks like a person's name; cite a case or investigation "
    "number, e.g. 'case:流调-2022-031'":
        "purpose：{scheme}:{masked!r} 像是人名；请写病例或调查编号，例如 'case:流调-2022-031'",
    # tracelab.spark
    "scans: {unknown} scans name venues absent from venues; load both with read_dir, which "
    "rejects them":
        "scans：{unknown} 条扫码记录的场所不在场所表中；请用 read_dir 一起读取两表，它会拒收"
        "这些记录",
    "venues: {missing} venue(s) without lon or lat; companions need every venue's position "
    "(WGS-84)":
        "venues：{missing} 个场所缺少 lon 或 lat；同行分析需要每个场所的位置（WGS-84）",
    "bucket_minutes: {bucket_minutes!r} must be a positive whole number of minutes, e.g. 60":
        "bucket_minutes：{bucket_minutes!r} 应为正整数分钟，例如 60",
    "column {name!r} holds naive times; give tz-aware UTC times (load with "
    "tracelab.io.read_dir)":
        "列 {name!r} 的时间没有时区；请给带时区的 UTC 时间（用 tracelab.io.read_dir 读取）",
    "the Spark engine needs PySpark and Java 17: pip install 'tracelab[spark]'":
        "Spark 引擎需要 PySpark 和 Java 17：pip install 'tracelab[spark]'",
    "{path}: no visits built under dwell={dwell!r}; build them with SparkSource(..., "
    "build=True) (a Spark job, tracelab.spark.jobs.visits) or "
    "tracelab.io.layout.write_visits(folder, visits, dwell)":
        "{path}：没有按 dwell={dwell!r} 生成的停留记录；请用 SparkSource(..., build=True)"
        "（Spark 作业 tracelab.spark.jobs.visits）或 "
        "tracelab.io.layout.write_visits(folder, visits, dwell) 生成",
    "bucket_minutes={bucket_minutes!r}; must be a positive integer":
        "bucket_minutes={bucket_minutes!r} 不可用；应为正整数",
    "{scans_path}: no scans to build visits from; write the layout with "
    "tracelab.io.layout.write_layout":
        "{scans_path}：没有可生成停留记录的扫码数据；请用 tracelab.io.layout.write_layout "
        "写出数据布局",
    "scans: {n} venue_id(s) not in venues, e.g. {examples}; load with tracelab.io.read_dir, "
    "which rejects unknown venues":
        "scans：{n} 个 venue_id 不在场所表中，例如 {examples}；请用 tracelab.io.read_dir 读取，"
        "它会拒收未知场所",
    # tracelab.synth
    "seed must be a non-negative int, got {seed!r}": "seed 应为非负整数，实际为 {seed!r}",
    "days must be at least 1, got {days!r}": "days 至少为 1，实际为 {days!r}",
    "fmt must be 'parquet' or 'csv', got {fmt!r}": "fmt 应为 'parquet' 或 'csv'，实际为 {fmt!r}",
    "quarantine end must be after its start; got start={start!r}, end={end!r}":
        "隔离结束时间须晚于开始时间；实际 start={start!r}，end={end!r}",
    "venue_ids: {n} unknown, e.g. {unknown}; use venue_id values of the venues table":
        "venue_ids：{n} 个未知，例如 {unknown}；请用场所表中的 venue_id",
    "venue_types {bad} not in this county; allowed: {allowed}":
        "venue_types {bad} 不在本县；可选：{allowed}",
    "person_ids: {n} unknown, e.g. {bad}; use person_id values of the persons table":
        "person_ids：{n} 个未知，例如 {bad}；请用人员表中的 person_id",
    "OutbreakParams: {bad} must lie in [0, 1]": "OutbreakParams：{bad} 应在 [0, 1] 之间",
    "index_cases must be >= 0, got {index_cases!r}": "index_cases 必须 >= 0，实际为 {index_cases!r}",
    "LogParams: {bad} must lie in [0, 1]": "LogParams：{bad} 应在 [0, 1] 之间",
    "population must be at least 50, got {population!r}":
        "population 至少为 50，实际为 {population!r}",
    "the region has no township to place people in": "该地区没有可以安置人口的乡镇",
    # tracelab.tracing
    "cases: {n} case(s) with none of onset_at, sampled_at, confirmed_at, e.g. {examples}; "
    "backward tracing needs one":
        "cases：{n} 个病例的 onset_at、sampled_at、confirmed_at 都为空，例如 {examples}；"
        "溯源至少需要其中之一",
    "give one row per person": "每人一行",
    "case={case!r} is not in cases; give its case row": "case={case!r} 不在病例表中；请给出该病例的记录",
    "min_cases={min_cases!r} must be >= 1": "min_cases={min_cases!r} 必须 >= 1",
    "SourceModel: {bad} out of range; incubation and infectious periods must be > 0, the "
    "rest >= 0, home_hours within 0-24":
        "SourceModel：{bad} 超出范围；潜伏期和传染期必须 > 0，其余 >= 0，home_hours 在 0-24 之间",
    "companions need every venue's lon and lat (WGS-84); build the graph with a venues frame "
    "that has them":
        "同行分析需要每个场所的 lon 和 lat（WGS-84）；请用含这两列的场所表构建图",
    "rule {rule_id}: co-presence needs a symmetric interval rule, but {names} make a pair "
    "depend on who is the case; use a rule without them (e.g. twenty or same_day) or trace "
    "the cases one by one":
        "规则 {rule_id}：同时在场配对需要对称的时段规则，但 {names} 使结果取决于谁是病例；请用"
        "不含这些设置的规则（如 twenty 或 same_day），或逐个追踪病例",
    "graph intervals were built with dwell={dwell!r} but rule {rule_id!r} assumes "
    "dwell={rule_dwell!r}; build the graph with VisitGraph.from_scans(scans, venues, "
    "rule={rule_id!r})":
        "图的时段按 dwell={dwell!r} 构建，但规则 {rule_id!r} 假定 dwell={rule_dwell!r}；请用 "
        "VisitGraph.from_scans(scans, venues, rule={rule_id!r}) 构建图",
    "hops={hops!r}; allowed: 1, 2": "hops={hops!r} 不可用；可选 1、2",
    "hops=2 but rule {rule_id!r} does not determine secondary contacts (DOMAIN §2.4); use "
    "rule('ninth') or secondary_contacts=True":
        "hops=2，但规则 {rule_id!r} 不判定次密接（DOMAIN §2.4）；请用 rule('ninth') 或 "
        "secondary_contacts=True",
    "first_hop: hops=2 needs the hop-1 trace to pull the contacts' visits; pass the forward "
    "trace":
        "first_hop：hops=2 需要第一代追踪结果来提取密接的行程；请传入正向追踪结果",
    # tracelab.model.rules
    "{first}; {then}": "{first}；{then}",
    "invalid rule: {problems}": "规则无效：{problems}",
    "name={name!r} is not a preset; allowed: {names}": "name={name!r} 不是预设规则；可选：{names}",
    "rule name={name!r} is not a preset; allowed: {names}":
        "规则 name={name!r} 不是预设规则；可选：{names}",
    "{key}={value!r}; allowed: {names}": "{key}={value!r} 不可用；可选：{names}",
    "{key}={value!r} must be True or False": "{key}={value!r} 应为 True 或 False",
    "{key}={value!r} must be a number": "{key}={value!r} 应为数字",
    "{key}={value!r} must be finite and >= 0": "{key}={value!r} 应为 >= 0 的有限数",
    "rounding_minutes={value!r} must be a whole number": "rounding_minutes={value!r} 应为整数",
    "calls_per_day={calls!r} must be a whole number of people, at least 1":
        "calls_per_day={calls!r} 应为整数人数，至少 1",
    "scan_instant_minutes=0 makes every scan-only visit empty; use > 0":
        "scan_instant_minutes=0 会让只有扫码时刻的停留时长为零；请用 > 0",
    "incubation_min_days={low} exceeds incubation_max_days={high}":
        "incubation_min_days={low} 大于 incubation_max_days={high}",
    "close_contact_types={value!r} must be a tuple of str":
        "close_contact_types={value!r} 应为字符串元组",
    "day_zone={value!r} is not an IANA zone such as 'Asia/Shanghai'":
        "day_zone={value!r} 不是 IANA 时区名（例如 'Asia/Shanghai'）",
    "rule id {rule_id!r} must look like name(key=value,...)":
        "规则编号 {rule_id!r} 格式不对，应为 name(key=value,...)",
    "rule id {rule_id!r}: {key!r} is not a rule parameter":
        "规则编号 {rule_id!r}：{key!r} 不是规则参数",
    "rule id {rule_id!r}: {key}={raw!r} must be True or False":
        "规则编号 {rule_id!r}：{key}={raw!r} 应为 True 或 False",
    "rule id {rule_id!r}: {key}={raw!r} must be a number":
        "规则编号 {rule_id!r}：{key}={raw!r} 应为数字",
    "rule id {rule_id!r}: {key}={raw!r} must be a whole number":
        "规则编号 {rule_id!r}：{key}={raw!r} 应为整数",
    # tracelab.briefing
    "no scan or case time to take as_of from; pass as_of=":
        "没有可作为 as_of 的扫码或病例时间；请传 as_of=",
    "{path}: no accepted scan; a briefing needs scans (run `tracelab validate` on the folder)":
        "{path}：没有可用的扫码记录；简报需要扫码数据（请对该文件夹运行 `tracelab validate`）",
    "{path}: no scan in the {days} days before the briefing time {until} ({zone}); the scans "
    "run from {first} to {last}: check --as-of":
        "{path}：简报时间 {until}（{zone}）之前 {days} 天内没有扫码记录；扫码记录的时间是 "
        "{first} 至 {last}：请检查 --as-of",
    "as_of={as_of!r} has no zone; give one, e.g. '2022-12-01T08:00+08:00'":
        "as_of={as_of!r} 没有时区；请加上时区，例如 '2022-12-01T08:00+08:00'",
    "--since {path}: not a readable briefing summary ({exc})":
        "--since {path}：无法作为简报摘要读取（{exc}）",
    "--since {path}: no {part!r} part; give the .json file that tracelab brief wrote beside a "
    "previous briefing":
        "--since {path}：没有 {part!r} 部分；请给 tracelab brief 在上一份简报旁写出的 .json 文件",
    "previous summary has briefing version {version!r}; expected {expected}":
        "上一份摘要的简报版本为 {version!r}，应为 {expected}",
    "layer {name}: column {col!r} holds a person pseudonym; layers carry people only as counts":
        "图层 {name}：列 {col!r} 含有人员假名；图层中的人员只能以人数出现",
    "case {case} is not in the cases table": "病例 {case} 不在病例表中",
    "graph intervals were built with dwell={dwell!r} but rule {rule_id!r} assumes "
    "dwell={rule_dwell!r}":
        "图的时段按 dwell={dwell!r} 构建，但规则 {rule_id!r} 假定 dwell={rule_dwell!r}",
    "a .png notice needs Playwright: pip install playwright":
        "生成 .png 通告需要 Playwright：pip install playwright",
    "briefing page is {size:,} bytes; the limit is {limit:,}":
        "简报页面有 {size:,} 字节，超过上限 {limit:,} 字节",
    "--pdf needs Chromium: no chromium on PATH (Debian: apt-get install chromium)":
        "--pdf 需要 Chromium：PATH 中没有 chromium（Debian：apt-get install chromium）",
    "{path}: no such briefing page": "{path}：简报页面不存在",
    "--pdf needs Playwright: pip install playwright": "--pdf 需要 Playwright：pip install playwright",
    "no briefing label {key!r}": "没有简报标签 {key!r}",
    # tracelab.maps
    "{arg} names {n} venue(s) not in venues: {unknown}; pass the full venue registry":
        "{arg} 中有 {n} 个场所不在场所表中：{unknown}；请给出完整的场所登记表",
    "venues {unplaced} have no lon/lat; a map cannot place them":
        "场所 {unplaced} 没有经纬度（lon/lat），无法在地图上标出",
    "geometry of type {kind} cannot be drawn as an area; use Polygon or MultiPolygon":
        "{kind} 类型的几何图形不能画成区域；请用 Polygon 或 MultiPolygon",
    "{arg} has no CRS; set one, e.g. {arg}.set_crs('EPSG:4326')":
        "{arg} 没有坐标系（CRS）；请设定，例如 {arg}.set_crs('EPSG:4326')",
    "tracelab map helpers must not contain </script or </style":
        "tracelab 地图辅助脚本不能含有 </script 或 </style",
    "areas column {column!r} has value(s) {bad}; allowed: {levels}":
        "区域表的列 {column!r} 有不可用的值 {bad}；可选：{levels}",
    "tracelab maps need folium: pip install 'folium>=0.20' xstatic-leaflet xstatic-jquery":
        "tracelab 地图需要 folium：pip install 'folium>=0.20' xstatic-leaflet xstatic-jquery",
    "{package} ({path}) is missing: {hint}": "缺少 {package}（{path}）：{hint}",
    "page references {n} script(s)/stylesheet(s) that tracelab cannot inline offline: "
    "{unknown}; drop the plugin that needs them or add its files to "
    "tracelab.maps.assets._ASSETS from an installed package":
        "页面引用了 {n} 个 tracelab 无法离线内嵌的脚本或样式表：{unknown}；请去掉需要它们的插件，"
        "或从已安装的包中把其文件加入 tracelab.maps.assets._ASSETS",
    "the map uses awesome-markers / Font Awesome icons ({used!r}), which cannot be loaded "
    "offline; draw folium.CircleMarker or a DivIcon marker instead":
        "地图用了 awesome-markers / Font Awesome 图标（{used!r}），离线时无法加载；请改用 "
        "folium.CircleMarker 或 DivIcon 标记",
    "townships {first} and {second} overlap by {share:.0%} of the smaller one ({n} "
    "overlapping pair(s)); a township map needs polygons that do not overlap":
        "乡镇 {first} 与 {second} 重叠，重叠部分占较小者的 {share:.0%}（共 {n} 对重叠）；乡镇地图"
        "需要互不重叠的多边形",
    "lang={lang!r} is not a label language; use 'zh' (default) or 'en'":
        "lang={lang!r} 不是可用的标签语言；请用 'zh'（默认）或 'en'",
    "time {ts} has no time zone; instants are stored tz-aware UTC (use Series.dt.tz_localize)":
        "时间 {ts} 没有时区；时刻应以带时区的 UTC 存储（请用 Series.dt.tz_localize）",
    "visits needs {t_in!r} (visits) or {scanned_at!r} (scans); it has {columns}":
        "visits 需要 {t_in!r}（停留记录）或 {scanned_at!r}（扫码记录）列；现有列：{columns}",
    "visits holds {n} people; pass case_id= to choose the case whose trajectory to draw":
        "visits 含 {n} 人；请用 case_id= 指定要画哪个病例的轨迹",
    "case_id={case_id!r} has no rows in visits": "case_id={case_id!r} 在 visits 中没有记录",
    "exposures column {column!r} has no time zone; instants are stored tz-aware UTC (use "
    "Series.dt.tz_localize)":
        "暴露表的列 {column!r} 没有时区；时刻应以带时区的 UTC 存储（请用 Series.dt.tz_localize）",
    "interval_ms={interval_ms!r} must be a positive number of milliseconds":
        "interval_ms={interval_ms!r} 应为正的毫秒数",
    "exposures is empty: there is nothing to replay": "暴露表为空：没有可回放的内容",
    "frame={frame!r} is not a tile frame; use 'WGS-84' or 'GCJ-02'":
        "frame={frame!r} 不是底图坐标系；请用 'WGS-84' 或 'GCJ-02'",
    "tiles='tianditu' needs key= (the Tianditu tk token); get one from the Tianditu developer "
    "console":
        "tiles='tianditu' 需要 key=（天地图 tk 令牌）；请到天地图开发者控制台申请",
    "tiles={tiles!r} is neither one of {names} nor a URL template with {{z}}, {{x}} and {{y}}":
        "tiles={tiles!r} 既不是 {names} 之一，也不是含 {{z}}、{{x}}、{{y}} 的 URL 模板",
    "category={category!r}, basis={basis!r}: category is one of {categories}, basis "
    "'residence' or 'venue'":
        "category={category!r}，basis={basis!r} 不可用：category 应为 {categories} 之一，basis "
        "应为 'residence' 或 'venue'",
    "persons needs {township!r} or {home!r} to place people in their township of residence":
        "人员表需要 {township!r} 或 {home!r} 列，才能按居住乡镇统计人员",
    "exposure venues lie in township code(s) {stray} that townships does not have; pass every "
    "township of the county":
        "暴露场所所在的乡镇代码 {stray} 不在乡镇表中；请给出本县的全部乡镇",
    "township_map needs both exposures and venues for the choropleth, or neither for outlines "
    "only":
        "township_map 画分级着色图需要同时给 exposures 和 venues；只画边界则两者都不给",
    "exposures column {column!r} has value(s) {unknown} outside tier_order={order}; pass "
    "tier_order= with every tier, most urgent first":
        "暴露表的列 {column!r} 有值 {unknown} 不在 tier_order={order} 中；请用 tier_order= 给出"
        "全部等级，最紧急的在前",
    "exposures already has a {column!r} column; pass either it or contact_tiers, not both":
        "暴露表已有 {column!r} 列；请只用它或 contact_tiers 其中之一",
    "contact_tiers lists {n} contact(s) twice; give one tier per contact (e.g. the "
    "rank_contacts table)":
        "contact_tiers 中有 {n} 名接触者重复出现；每名接触者只给一个等级（例如 rank_contacts "
        "的结果）",
    "contact_tiers lacks {n} contact(s) of exposures, e.g. {example!r}; rank every exposed "
    "contact":
        "contact_tiers 缺少暴露表中的 {n} 名接触者，例如 {example!r}；请对每名暴露的接触者排序",
    "ranks gives venue {venue!r} the rank {rank!r}; ranks are positive integers (1 = first)":
        "ranks 给场所 {venue!r} 的名次为 {rank!r}；名次应为正整数（1 为第一）",
    # tracelab.analysis.clustering, tracelab.analysis.ranking
    "cases: a person_id is listed twice; give each case once":
        "cases：有 person_id 重复出现；每个病例只列一次",
    "the exposures were traced under rules with different calls_per_day {found}; pass "
    "calls_per_day= or rule=":
        "这些暴露记录是按 calls_per_day 不同的规则追踪的（{found}）；请传 calls_per_day= 或 rule=",
    "per={per!r}; allowed: 'contact', 'pair'": "per={per!r} 不可用；可选 'contact'、'pair'",
    "calls_per_day={calls_per_day!r}; give a positive int, 'rule' or None":
        "calls_per_day={calls_per_day!r} 不可用；请给正整数、'rule' 或 None",
    "cutoffs={cutoffs!r}; give (call_today, within_24h) scores, first >= second >= 0":
        "cutoffs={cutoffs!r} 不可用；请给 (call_today, within_24h) 两个分数，前者 >= 后者 >= 0",
    "visits holds scans (no t_in/t_out); pass venues= so they can become visits, or pass "
    "tracelab.visits(scans, venues)":
        "visits 是扫码记录（没有 t_in/t_out）；请传 venues= 以生成停留记录，或传入 "
        "tracelab.visits(scans, venues) 的结果",
    "bin_minutes={bin_minutes!r}; give a positive number of minutes":
        "bin_minutes={bin_minutes!r} 不可用；请给正的分钟数",
    # tracelab.governance: follow-up sheets and listings, retention
    "{source}: {problem}": "{source}：{problem}",
    "e.g. 2022-11-20 or 2022-11-20 08:05, local time unless a zone is given":
        "例如 2022-11-20 或 2022-11-20 08:05，未注明时区即为当地时间",
    "pass the right encoding (utf-8, gb18030)": "请指定正确的编码（utf-8、gb18030）",
    "{name}: cannot be parsed as CSV ({exc})": "{name}：无法按 CSV 解析（{exc}）",
    "{name}: unsupported file type {suffix!r}; use .xlsx or .csv (.txt)":
        "{name}：不支持的文件类型 {suffix!r}；请用 .xlsx 或 .csv（.txt）",
    "has {n} fields, the header has {expected}": "有 {n} 个字段，表头有 {expected} 个",
    "on_file_problem={value!r}; allowed: 'reject', 'raise'":
        "on_file_problem={value!r} 不可用；可选 'reject'、'raise'",
    "{source} holds no follow-up rows": "{source} 中没有随访记录",
    "required column(s) {missing} absent (a contact id, a status and its time; Chinese headers "
    "联系人编号, 状态, 时间); the sheet has {columns}":
        "缺少必需的列 {missing}（需要联系人编号、状态、时间三列，英文表头 contact_id、status、"
        "status_at）；表中现有列：{columns}",
    "no recognised columns": "无可识别的列",
    "{source} row {row}: {why}": "{source} 第 {row} 行：{why}",
    "{source}: no contact_id (联系人编号) column; it has {columns}":
        "{source}：没有 contact_id（联系人编号）列；现有列：{columns}",
    "{source} row {row}: contact_id {value!r} is not a pseudonym (p_ + 16 hex digits); pass "
    "the key to pseudonymise raw ids":
        "{source} 第 {row} 行：contact_id {value!r} 不是假名（p_ 加 16 位十六进制数）；请给出密钥，"
        "以便将原始编号假名化",
    "{source} row {row}: listed_at {value!r} is not a time ({forms})":
        "{source} 第 {row} 行：listed_at {value!r} 不是时间（{forms}）",
    "compact: needs the store's path, not an open Store (close it and pass its path, or call "
    "compact_store after closing it)":
        "compact：需要数据库的路径，而不是已打开的 Store（请关闭后传入路径，或关闭后调用 "
        "compact_store）",
    "older_than_days: {days!r} must be a whole number of days >= 0 (default {default})":
        "older_than_days：{days!r} 应为 >= 0 的整数天数（默认 {default}）",
    "now: {now!r} has no time zone; give e.g. '2022-11-25T00:00:00Z'":
        "now：{now!r} 没有时区；请写成例如 '2022-11-25T00:00:00Z'",
    "path: {path!r}: no such database file": "path：{path!r}：数据库文件不存在",
    "path: the compacted copy of {path!r} differs from it ({before} != {after}); the original "
    "is kept":
        "path：{path!r} 压缩后的副本与原文件不一致（{before} != {after}）；已保留原文件",
    "path: {path!r} still has a write-ahead log after closing; is another process using it? "
    "the original is kept":
        "path：{path!r} 关闭后仍有预写日志（WAL）；是否有其他进程正在使用？已保留原文件",
    # tracelab.replay
    "invalid policy {name!r}: {problems}": "策略 {name!r} 无效：{problems}",
    "name={name!r} must be a non-empty string": "name={name!r} 应为非空字符串",
    "rule={rule!r}: {exc}": "规则 rule={rule!r} 无效：{exc}",
    "hops=2 needs a rule with secondary_contacts=True, got {rule!r}; use policy(..., hops=2), "
    "which switches it on":
        "hops=2 需要 secondary_contacts=True 的规则，收到 {rule!r}；请用 policy(..., hops=2)，"
        "它会自动开启",
    "compliance={value!r} must lie in [0, 1] or be None":
        "compliance={value!r} 应在 [0, 1] 之间，或为 None",
    "close_types={value!r} must be a tuple of venue-type codes":
        "close_types={value!r} 应为场所类型代码的元组",
    "close_after_cases={value!r} must be an int >= 1": "close_after_cases={value!r} 应为 >= 1 的整数",
    "tracing quarantines no one for any time: set central_days or home_days (with "
    "home_is_quarantine) above 0, or tracing=False":
        "追踪了却不隔离任何人：请把 central_days 或 home_days（配合 home_is_quarantine）设为大于 0，"
        "或设 tracing=False",
    "policy preset={preset!r} is not a preset; allowed: {names}":
        "策略 preset={preset!r} 不是预设策略；可选：{names}",
    "unknown policy field(s) {unknown}; allowed: {names}, regime, rule_overrides":
        "未知的策略字段 {unknown}；可用：{names}, regime, rule_overrides",
    "policy {value!r} is neither a preset ({names}) nor a .json or .toml policy file":
        "策略 {value!r} 既不是预设策略（{names}），也不是 .json 或 .toml 策略文件",
    "policy file {path!r} does not exist": "策略文件 {path!r} 不存在",
    "policy file {path!r}: not valid {form}: {exc}": "策略文件 {path!r}：不是有效的 {form}：{exc}",
    "policy file {path!r} must hold a table (object), got {kind}":
        "策略文件 {path!r} 的内容应为一个表（对象），实际是 {kind}",
    "policy file {path!r}: {exc}": "策略文件 {path!r}：{exc}",
    "{key}={value!r} must be an int >= {least}": "{key}={value!r} 应为 >= {least} 的整数",
    "outbreak={value!r} must be an OutbreakParams": "outbreak={value!r} 应为 OutbreakParams",
    "log={value!r} must be a LogParams": "log={value!r} 应为 LogParams",
    "{exc}": "{exc}",
    "invalid scenario: {problems}": "情景无效：{problems}",
    "--data {folder!r}: no manifest.json; replay needs a synthetic county written by "
    "`tracelab synth`":
        "--data {folder!r}：没有 manifest.json；回放需要 `tracelab synth` 生成的模拟县数据",
    "{path!r}: generator={generator!r}; replay needs a county from tracelab.synth (its "
    "parameters and seed)":
        "{path!r}：generator={generator!r}；回放需要 tracelab.synth 生成的县数据（要用它的参数和种子）",
    "df={df!r} must be >= 1": "df={df!r} 必须 >= 1",
    "policy {name!r} not in runs; have {have}": "运行结果中没有策略 {name!r}；现有：{have}",
    "metric={metric!r} not in summary; have {have}": "汇总中没有指标 metric={metric!r}；现有：{have}",
    "plots need matplotlib: pip install matplotlib": "绘图需要 matplotlib：pip install matplotlib",
    "grid axis {key}={values!r} must be a list of values": "网格轴 {key}={values!r} 应为取值列表",
    "policies: names {dup} appear twice; give each policy its own name (policy(..., "
    "name='...'))":
        "policies：名称 {dup} 重复；请给每个策略起不同的名称（policy(..., name='...')）",
    "sweep needs at least one policy and one seed; got {n} policies and seeds={seeds!r}":
        "sweep 至少需要一个策略和一个种子；收到 {n} 个策略，seeds={seeds!r}",
    "unknown rule parameter(s) {unknown}; allowed: {names}":
        "未知的规则参数 {unknown}；可用：{names}",
}
