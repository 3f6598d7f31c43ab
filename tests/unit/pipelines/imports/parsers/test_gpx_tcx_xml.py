"""What the two XML readers share: unsafe or broken XML refused, detection, progress.

Hostile inputs (entities, deep nesting, cut files) are generated in the tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.imports.formats import detect_format
from pipelines.imports.parsers.base import ImportFormatError
from pipelines.imports.parsers.gpx import parse_gpx
from pipelines.imports.parsers.tcx import parse_tcx
from tests.conftest import REAL_DATA
from tests.support.track_files import (
    GPX_DIR,
    TCX_DIR,
    gpx_file,
    refused,
    running,
    tcx_activity,
    tcx_file,
    tcx_point,
)


def test_detector_on_real_files() -> None:
    for path in sorted(GPX_DIR.glob("*.gpx")):
        assert detect_format(path.read_bytes()[:65536]) == "gpx"
    for path in sorted(TCX_DIR.glob("*.tcx")):
        assert detect_format(path.read_bytes()[:65536]) == "tcx"
    for path in sorted((REAL_DATA / "strong").glob("*.csv")):
        assert detect_format(path.read_bytes()[:65536]) == "strong"


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<gpx version="1.1"><trk><name>&xxe;</name></trk></gpx>'
)
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<TrainingCenterDatabase>&lol9;</TrainingCenterDatabase>"
)


@pytest.mark.parametrize("parse", [parse_gpx, parse_tcx])
@pytest.mark.parametrize(
    ("data", "offset"),
    [(XXE, 22), (LAUGHS, 22), (XXE.decode().encode("utf-16"), 2 + 2 * 22)],  # BOM, 2 B/char
)
def test_dtd_and_entities_are_refused_before_parsing(parse: Any, data: bytes, offset: int) -> None:
    error = refused(parse, data)
    assert error.code == "unsafe_xml"
    assert f"<!DOCTYPE declaration at byte offset {offset}" in error.message


def test_nesting_deeper_than_any_activity_file_is_refused() -> None:
    deep = b"<a>" * 10_000 + b"</a>" * 10_000
    data = gpx_file(running(2)).replace(
        b"</trkseg>", b"<extensions>" + deep + b"</extensions></trkseg>"
    )
    for parse in (parse_gpx, parse_tcx):
        error = refused(parse, data)
        assert error.code == "malformed" and "nested more than 64 deep" in error.message


def test_an_entity_without_doctype_is_refused() -> None:
    error = refused(parse_gpx, b'<gpx version="1.1"><!ENTITY x "y"></gpx>')
    assert error.code == "unsafe_xml" and "<!ENTITY declaration at byte offset 19" in error.message


@pytest.mark.parametrize(("parse", "name"), [(parse_gpx, "gpx"), (parse_tcx, "tcx")])
def test_truncated_xml_names_where(parse: Any, name: str) -> None:
    path = next((GPX_DIR if name == "gpx" else TCX_DIR).glob(f"*.{name}"))
    error = refused(parse, path.read_bytes()[:5000])
    assert error.code == "malformed"
    assert "line " in error.message and "byte offset 5,000 of 5,000" in error.message
    assert "cut off" in error.message


def test_mismatched_tag_names_line_and_offset() -> None:
    data = gpx_file(running(2)).replace(b"</trkseg>", b"</trkseq>")
    error = refused(parse_gpx, data)
    assert error.code == "malformed" and "mismatched tag at line 7" in error.message
    assert f"byte offset {data.index(b'</trkseq>') + 2:,}" in error.message


def test_wrong_root_empty_file_and_bad_zone() -> None:
    assert refused(parse_gpx, b"<kml><Document/></kml>").code == "unsupported_format"
    assert refused(parse_tcx, gpx_file(running())).code == "unsupported_format"
    assert refused(parse_gpx, b"  \n").code == "empty_file"
    with pytest.raises(ImportFormatError) as caught:
        parse_gpx(gpx_file(running()), time_zone="Mars/Olympus")
    assert caught.value.code == "invalid_time_zone"


def test_progress_is_reported_up_to_one() -> None:
    seen: list[float] = []
    parse_gpx(gpx_file(running()), time_zone="UTC", on_progress=seen.append)
    parse_tcx(
        tcx_file(tcx_activity("Running", [tcx_point(0), tcx_point(9)])),
        time_zone="UTC",
        on_progress=seen.append,
    )
    assert seen == [0.3, 0.6, 1.0, 1.0]  # GPX: XML read, gpxpy read, done; TCX: 1 activity
