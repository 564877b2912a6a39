"""Purpose binding and the hash-chained audit log: one entry per query, edits detected."""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab.io.store import open_store
from tracelab.privacy.audit import (
    GENESIS_HASH,
    PurposeError,
    audit_problem,
    audited,
    read_audit,
    record_query,
    require_purpose,
    verify_audit,
)

NOW = "2022-11-25T08:00:00Z"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch):
    # The anchor carries an HMAC when TRACELAB_KEY is set (tests/test_audit_tamper.py);
    # here it must not depend on the shell the tests run in.
    monkeypatch.delenv("TRACELAB_KEY", raising=False)


@pytest.fixture()
def store(tmp_path):
    with open_store(tmp_path / "t.duckdb") as st:
        yield st


def _fill(store, n=3):
    for i in range(n):
        record_query(store, who="ana", purpose=f"inv:LX-{i}", query=f"trace q{i}",
                     counts={"rows": i, "contacts": 2 * i},
                     now=pd.Timestamp(NOW) + pd.Timedelta(seconds=i))


@pytest.mark.parametrize("purpose", ["case:p_89e942357569d1ea", "inv:LX-2022-11-007",
                                     "  inv:A  ", "case:P001"])
def test_valid_purposes(purpose):
    assert require_purpose(purpose) == purpose.strip()


@pytest.mark.parametrize(("purpose", "match"), [
    (None, "needs a purpose"), ("", "needs a purpose"), ("   ", "needs a purpose"),
    (42, "must be text"), ("curiosity", "is not 'case:...' or 'inv:...'"),
    ("case:", "is not"), ("ops:retention", "is not"), ("case:a b", "is not"),
    ("inv:" + "x" * 65, "is not"), ("case:13123456789", "phone or ID number"),
    ("inv:360323200106151237", "phone or ID number"),
])
def test_invalid_purposes_raise(purpose, match):
    with pytest.raises(PurposeError, match=match) as info:
        require_purpose(purpose)
    assert "13123456789" not in str(info.value)
    assert "360323200106151237" not in str(info.value)


def test_entries_chain(store):
    _fill(store)
    log = read_audit(store)
    assert log["seq"].tolist() == [1, 2, 3]
    assert log["prev_hash"].iloc[0] == GENESIS_HASH
    assert log["prev_hash"].tolist()[1:] == log["hash"].tolist()[:-1]
    assert log["counts"].iloc[2] == '{"contacts":4,"rows":2}'
    assert verify_audit(store) is None


def test_bad_purpose_or_counts_write_nothing(store):
    with pytest.raises(PurposeError):
        record_query(store, who="ana", purpose="", query="trace", counts={"rows": 1})
    with pytest.raises(ValueError, match="counts"):
        record_query(store, who="ana", purpose="inv:X", query="trace", counts={"rows": -1})
    with pytest.raises(ValueError, match="no time zone"):
        record_query(store, who="ana", purpose="inv:X", query="t", counts={}, now="2022-11-25")
    assert store.count("audit") == 0


def test_identifiers_in_query_text_are_masked(store):
    record_query(store, who="ana", purpose="inv:X",
                 query="trace case 13123456789 and 360323200106151237", counts={"rows": 1})
    text = read_audit(store).to_csv()
    assert "13123456789" not in text and "360323200106151237" not in text
    assert "131*****789" in text and "36**************37" in text


def test_every_audited_call_leaves_exactly_one_entry(store):
    @audited("companions", counts=lambda r, a: {"rows": len(r), "people": r["p"].nunique()})
    def companions(case, *, hours=2):
        if case == "boom":
            raise RuntimeError("engine failure")
        return pd.DataFrame({"p": ["p_1", "p_2", "p_2"]})

    for i in range(4):
        companions(f"p_{i}", hours=3, purpose="case:p_0", audit=store, who="ana")
        assert store.count("audit") == i + 1
    with pytest.raises(PurposeError):
        companions("p_9", audit=store)
    with pytest.raises(ValueError, match="audit"):
        companions("p_9", purpose="case:p_0")
    with pytest.raises(RuntimeError):
        companions("boom", purpose="case:p_0", audit=store)
    log = read_audit(store)
    assert len(log) == 4
    assert log["query"].iloc[0] == "companions case='p_0' hours=3"
    assert log["counts"].iloc[0] == '{"people":2,"rows":3}'
    assert verify_audit(store) is None


def test_audited_accepts_a_database_path(tmp_path):
    path = tmp_path / "a.duckdb"
    f = audited("trace")(lambda: [1, 2])
    assert f(purpose="inv:X", audit=path) == [1, 2]
    assert verify_audit(path) is None and len(read_audit(path)) == 1


@pytest.mark.parametrize(("sql", "seq", "reason"), [
    ("UPDATE audit SET purpose = 'inv:OTHER' WHERE seq = 2", 2, "edited"),
    ("UPDATE audit SET counts = '{\"rows\":0}' WHERE seq = 3", 3, "edited"),
    ("UPDATE audit SET who = 'mallory' WHERE seq = 1", 1, "edited"),
    ("UPDATE audit SET \"at\" = \"at\" + INTERVAL 1 HOUR WHERE seq = 2", 2, "edited"),
    ("UPDATE audit SET query = NULL WHERE seq = 2", 2, "empty"),
    ("DELETE FROM audit WHERE seq = 2", 2, "missing"),
    ("UPDATE audit SET seq = CASE seq WHEN 2 THEN 3 WHEN 3 THEN 2 ELSE seq END", 2,
     "prev_hash"),
    ("UPDATE audit SET hash = repeat('0', 64) WHERE seq = 3", 3, "edited"),
])
def test_sql_edits_are_detected(store, sql, seq, reason):
    _fill(store)
    store.con.execute(sql)
    assert verify_audit(store) == seq
    assert reason in audit_problem(store)[1]


def test_rehashing_one_entry_breaks_the_next(store):
    # An editor who recomputes the edited entry's hash still breaks its successor.
    from tracelab.privacy.audit import entry_hash
    _fill(store)
    row = read_audit(store).iloc[1]
    forged = entry_hash(2, row["at"], "ana", "inv:OTHER", row["query"], row["counts"],
                        row["prev_hash"])
    store.con.execute("UPDATE audit SET purpose = 'inv:OTHER', hash = ? WHERE seq = 2",
                      [forged])
    assert verify_audit(store) == 3


def test_anchor_detects_a_rebuilt_or_cut_chain(store):
    from tracelab.privacy.audit import audit_head, entry_hash
    _fill(store, 3)
    anchor = audit_head(store)
    assert anchor.startswith("3:") and verify_audit(store, anchor) is None
    # rebuild the whole chain after an edit: the chain alone looks intact
    log = read_audit(store)
    prev = GENESIS_HASH
    for row in log.itertuples(index=False):
        purpose = "inv:OTHER" if row.seq == 2 else row.purpose
        digest = entry_hash(row.seq, row.at, row.who, purpose, row.query, row.counts, prev)
        store.con.execute("UPDATE audit SET purpose = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                          [purpose, prev, digest, row.seq])
        prev = digest
    # the chain alone looks intact; the anchor file beside the store and the head kept
    # elsewhere both see the rebuilt newest entry
    assert verify_audit(store) == 3 and "rebuilt" in audit_problem(store)[1]
    assert verify_audit(store, anchor) == 3
    assert "rewritten" in audit_problem(store, anchor)[1]


def test_anchor_detects_a_cut_log(store):
    from tracelab.privacy.audit import audit_head
    _fill(store, 3)
    anchor = audit_head(store)
    store.con.execute("DELETE FROM audit WHERE seq = 3")
    assert verify_audit(store) == 3 and "cut off" in audit_problem(store)[1]
    assert verify_audit(store, anchor) == 3
    assert "cut" in audit_problem(store, anchor)[1]
    with pytest.raises(ValueError, match="anchor"):
        verify_audit(store, "3:nothex")


# --- the public person-level verbs: tracelab.trace, sources, companions, ... -----------

def _public_calls(tmp_path):
    """Each public verb with arguments that work on the hand-checkable scenario."""
    import tracelab as tl
    from tests._forward_data import cases, scans, venue_types, venues
    from tracelab.index.graph import VisitGraph

    graph = VisitGraph.from_scans(scans(), venues(), "twenty", venue_types=venue_types())
    ranked = pd.DataFrame({"contact_id": ["P2", "P4"], "tier": ["call_today", "monitor"],
                           "rank": [1, 2], "score": [40.0, 3.0], "why": ["#1", "#2"]})
    return {
        "trace": (tl.trace, (graph, cases()), {}),
        "sources": (tl.sources, (graph, "C1"), {"cases": cases()}),
        "companions": (tl.companions, (graph, cases()), {}),
        "common_venues": (tl.common_venues, (graph, cases()), {}),
        "export_contacts": (tl.export_contacts, (ranked, tmp_path / "calls.csv"), {}),
    }


VERBS = ["trace", "sources", "companions", "common_venues", "export_contacts"]


@pytest.mark.parametrize("verb", VERBS)
def test_public_verb_needs_a_purpose_before_any_work(tmp_path, verb, monkeypatch):
    monkeypatch.delenv("TRACELAB_AUDIT", raising=False)
    func, args, kwargs = _public_calls(tmp_path)[verb]
    log = tmp_path / "log.duckdb"
    # Arguments the query itself would choke on: the purpose check must come first.
    broken = (None,) * len(args)
    for purpose in (None, "", "curiosity", "case:13123456789"):
        with pytest.raises(PurposeError, match="purpose"):
            func(*broken, purpose=purpose, audit=log)
    with pytest.raises(ValueError, match="audit: .*TRACELAB_AUDIT"):
        func(*broken, purpose="inv:LX-1")
    with pytest.raises(FileNotFoundError, match="audit: .*does not exist"):
        func(*broken, purpose="inv:LX-1", audit=tmp_path / "no" / "log.duckdb")
    assert not log.exists() and not (tmp_path / "calls.csv").exists()


@pytest.mark.parametrize("verb", VERBS)
def test_public_verb_leaves_exactly_one_entry(tmp_path, verb):
    func, args, kwargs = _public_calls(tmp_path)[verb]
    log = tmp_path / "log.duckdb"
    result = func(*args, **kwargs, purpose="case:p_89e942357569d1ea", audit=log, who="ana")
    entries = read_audit(log)
    assert len(entries) == 1 and verify_audit(log) is None
    entry = entries.iloc[0]
    assert entry["purpose"] == "case:p_89e942357569d1ea" and entry["who"] == "ana"
    assert entry["query"].split()[0] == verb
    assert "C1" not in entry["query"] and "P2" not in entry["query"]  # no person named
    counts = __import__("json").loads(entry["counts"])
    assert counts["rows"] == (len(args[0]) if verb == "export_contacts" else len(result))
    if verb == "trace":
        assert counts == {"cases": 1, "people": 2, "rows": 2, "venues": 2}
        assert entry["query"] == "trace cases=1 rule=twenty hops=default"
    if verb == "export_contacts":
        assert counts == {"people": 2, "rows": 2} and result.is_file()
    # a second call appends a second entry to the same chain
    func(*args, **kwargs, purpose="inv:LX-2", audit=log)
    assert read_audit(log)["seq"].tolist() == [1, 2] and verify_audit(log) is None


@pytest.mark.parametrize("verb", ["trace", "sources", "companions", "common_venues"])
def test_a_failed_public_call_leaves_no_entry(tmp_path, verb):
    func, args, kwargs = _public_calls(tmp_path)[verb]
    with open_store(tmp_path / "log.duckdb") as st:
        with pytest.raises(ValueError, match="eleventh"):
            func(args[0], args[1], "eleventh", **kwargs, purpose="inv:LX-1", audit=st)
        assert st.count("audit") == 0
        func(*args, **kwargs, purpose="inv:LX-1", audit=st)
        assert st.count("audit") == 1 and verify_audit(st) is None


def test_a_failed_export_leaves_no_entry(tmp_path):
    func, (ranked, _), _ = _public_calls(tmp_path)["export_contacts"]
    log = tmp_path / "log.duckdb"
    with pytest.raises(ValueError, match="fmt"):
        func(ranked, tmp_path / "calls.txt", purpose="inv:LX-1", audit=log)
    assert not log.exists() or read_audit(log).empty


def test_audit_store_from_the_environment(tmp_path, monkeypatch):
    func, args, kwargs = _public_calls(tmp_path)["trace"]
    log = tmp_path / "env.duckdb"
    monkeypatch.setenv("TRACELAB_AUDIT", str(log))
    func(*args, purpose="inv:LX-1")
    func(*args, purpose="inv:LX-1", audit=tmp_path / "other.duckdb")  # explicit wins
    assert len(read_audit(log)) == 1 and len(read_audit(tmp_path / "other.duckdb")) == 1


def test_public_verbs_document_and_show_the_audit_arguments():
    import inspect

    import tracelab as tl
    from tracelab.governance.call_lists import export_contacts
    from tracelab.tracing.backward import common_venues, sources
    from tracelab.tracing.companion_grid import (
        companions,  # the attribute tl.companions is the verb
    )
    from tracelab.tracing.forward import trace
    plain = {"trace": trace, "sources": sources, "companions": companions,
             "common_venues": common_venues, "export_contacts": export_contacts}
    for name, impl in plain.items():
        public = getattr(tl, name)
        assert public is not impl and public.__wrapped__ is impl and name in tl.__all__
        params = inspect.signature(public).parameters
        assert list(params)[:len(inspect.signature(impl).parameters)] == list(
            inspect.signature(impl).parameters)
        assert params["purpose"].kind is inspect.Parameter.KEYWORD_ONLY
        assert {"audit", "who"} <= set(params)
        doc = public.__doc__
        assert doc.splitlines()[0] == inspect.cleandoc(impl.__doc__).splitlines()[0]
        assert "purpose : str" in doc and "TRACELAB_AUDIT" in doc
        # the audit parameters sit inside the Parameters section, before Returns
        assert doc.index("Parameters") < doc.index("purpose : str") < doc.index("Returns")


def test_library_code_uses_the_plain_implementations():
    # Only the public namespace and the command line may call the audited verbs; replay,
    # briefing and the rest compose the plain ones (a replay runs thousands of traces).
    import ast
    from pathlib import Path

    import tracelab
    root = Path(tracelab.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        # the command line, the top-level namespace and the two public namespaces of the
        # audited verbs (tracelab.tracing, tracelab.governance) may
        if rel.parts[0] == "cli" or str(rel) in ("__init__.py", "tracing/__init__.py",
                                                 "governance/__init__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in (
                    "tracelab", "tracelab.tracing", "tracelab.tracing.audited_verbs",
                    "tracelab.governance", "tracelab.governance.audited_export"):
                names = {a.name for a in node.names} & set(VERBS)
                if names:
                    offenders.append(f"{rel}: {sorted(names)}")
    assert offenders == []


def test_a_purpose_may_be_a_chinese_case_number_but_never_a_name():
    from tracelab.privacy.purposes import PurposeError, require_purpose

    assert require_purpose("case:流调-2022-031") == "case:流调-2022-031"
    with pytest.raises(PurposeError, match="looks like a person's name") as err:
        require_purpose("case:张三丰")
    assert "张三丰" not in str(err.value)
