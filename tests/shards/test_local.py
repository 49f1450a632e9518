"""LocalFolderStore: atomic writes, appends that survive a torn line, content-hash versions."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import shards.local
from shards import (
    LocalFolderStore,
    PageError,
    PageNotFound,
    PageStore,
    StoreUnavailable,
    WorkspaceError,
)


@pytest.fixture
def store(tmp_path: Path) -> LocalFolderStore:
    return LocalFolderStore(tmp_path / "workspace")


def _files(store: LocalFolderStore) -> list[str]:
    return sorted(p.name for p in store.path.iterdir())


def test_the_local_store_is_a_page_store(store: LocalFolderStore) -> None:
    assert isinstance(store, PageStore)


def test_a_missing_workspace_folder_is_created(tmp_path: Path) -> None:
    LocalFolderStore(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_a_missing_workspace_is_an_error_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        LocalFolderStore(tmp_path / "nope", create=False)


def test_a_workspace_path_that_is_a_file_is_a_workspace_error(tmp_path: Path) -> None:
    file = tmp_path / "workspace"
    file.write_text("not a folder")
    with pytest.raises(WorkspaceError) as caught:
        LocalFolderStore(file)
    assert "is a file, not a folder" in str(caught.value)
    assert caught.value.hint and "--workspace" in caught.value.hint
    assert file.read_text() == "not a folder"


def test_a_workspace_under_a_file_is_a_workspace_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="cannot create workspace"):
        LocalFolderStore(tmp_path / "file" / "workspace")


def test_write_creates_the_page_file_and_read_returns_it(store: LocalFolderStore) -> None:
    ref = store.write("infra", "# Infra\n\nCloud Run ✓\n")
    assert (store.path / "infra.md").read_text(encoding="utf-8") == "# Infra\n\nCloud Run ✓\n"
    page = store.read("infra")
    assert page.text == "# Infra\n\nCloud Run ✓\n"
    assert page.version == ref.version
    assert page.url == ref.url == (store.path / "infra.md").resolve().as_uri()


def test_an_atomic_write_replaces_the_content_and_leaves_no_temp_files(
    store: LocalFolderStore,
) -> None:
    store.write("infra", "old text\n" * 1000)
    store.write("infra", "new text\n")
    assert store.read("infra").text == "new text\n"
    assert _files(store) == ["infra.md"]


def test_a_crash_before_the_rename_leaves_the_old_page_intact(
    store: LocalFolderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("infra", "old text\n")

    def crash(src: str, dst: str) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(shards.local.os, "replace", crash)
    with pytest.raises(StoreUnavailable, match=r"page 'infra'.*simulated crash"):
        store.write("infra", "new text that never lands\n")
    monkeypatch.undo()
    assert store.read("infra").text == "old text\n"
    assert _files(store) == ["infra.md"]


def test_append_creates_the_page_and_appends_lines_in_order(store: LocalFolderStore) -> None:
    store.append("webhook-log", ["first", "second"])
    store.append("webhook-log", ["third"])
    store.append("webhook-log", [])
    assert (store.path / "webhook-log.md").read_text() == "first\nsecond\nthird\n"
    assert store.tail("webhook-log", 2) == ["second", "third"]
    assert store.tail("webhook-log", 10) == ["first", "second", "third"]
    assert store.tail("webhook-log", 0) == []


def test_a_torn_last_line_is_trimmed_before_the_next_append(store: LocalFolderStore) -> None:
    (store.path / "webhook-log.md").write_bytes(b"first\nsecond\nthi")  # crash mid-line
    assert store.tail("webhook-log", 5) == ["first", "second"]
    store.append("webhook-log", ["third", "fourth"])
    assert (store.path / "webhook-log.md").read_bytes() == b"first\nsecond\nthird\nfourth\n"


def test_a_torn_only_line_is_trimmed_to_nothing(store: LocalFolderStore) -> None:
    (store.path / "webhook-log.md").write_bytes("🔔 half a li".encode())
    store.append("webhook-log", ["whole"])
    assert (store.path / "webhook-log.md").read_text() == "whole\n"


def test_an_appended_block_with_a_carriage_return_or_final_newline_is_refused(
    store: LocalFolderStore,
) -> None:
    with pytest.raises(PageError, match="carriage return"):
        store.append("webhook-log", ["ok", "carriage\rreturn"])
    with pytest.raises(PageError, match="line break"):
        store.append("webhook-log", ["ends with a newline\n"])
    assert not (store.path / "webhook-log.md").exists()


def test_a_block_of_several_lines_is_appended_whole(store: LocalFolderStore) -> None:
    store.append("webhook-log", ["one\ntwo", "three"])
    assert (store.path / "webhook-log.md").read_text() == "one\ntwo\nthree\n"


def test_tail_of_a_missing_page_is_empty(store: LocalFolderStore) -> None:
    assert store.tail("nothing", 3) == []


@pytest.mark.parametrize("page_id", ["../x", "a/b", "", ".hidden", "a b", "x/../../etc"])
def test_invalid_page_ids_are_rejected(store: LocalFolderStore, page_id: str) -> None:
    for action in (
        lambda: store.read(page_id),
        lambda: store.write(page_id, "text"),
        lambda: store.append(page_id, ["line"]),
    ):
        with pytest.raises(PageError, match="not a valid local page id"):
            action()
    assert _files(store) == []
    assert not (store.path.parent / "x.md").exists()


def test_reading_a_missing_page_is_page_not_found(store: LocalFolderStore) -> None:
    with pytest.raises(PageNotFound) as caught:
        store.read("infra")
    assert caught.value.page_id == "infra"
    assert "infra.md" in (caught.value.hint or "")


def test_a_non_utf8_file_is_a_page_error_naming_the_line(store: LocalFolderStore) -> None:
    (store.path / "infra.md").write_bytes(b"# Infra\n\ncaf\xe9 menu\n")
    with pytest.raises(PageError) as caught:
        store.read("infra")
    assert caught.value.page_id == "infra"
    assert "line 3" in str(caught.value)
    assert "0xe9" in str(caught.value)
    assert "UTF-8" in str(caught.value)


def test_list_pages_lists_markdown_pages_sorted_and_ignores_other_files(
    store: LocalFolderStore,
) -> None:
    store.write("router", "r\n")
    store.write("infra", "i\n")
    (store.path / "notes.txt").write_text("not a page")
    (store.path / ".infra.abc.tmp").write_text("left by a crash")
    (store.path / "folder.md").mkdir()
    assert [ref.id for ref in store.list_pages()] == ["infra", "router"]


def test_versions_follow_the_content_not_the_modification_time(
    store: LocalFolderStore,
) -> None:
    file = store.path / "infra.md"
    store.write("infra", "# Infra\n\nv1\n")
    (before,) = store.list_pages()

    # Same bytes, new modification time: same version.
    file.write_bytes(b"# Infra\n\nv1\n")
    os.utime(file, (1_000_000_000, 1_000_000_000))
    (touched,) = store.list_pages()
    assert touched.version == before.version

    # New bytes, old modification time: new version.
    stat = file.stat()
    file.write_bytes(b"# Infra\n\nv2\n")
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file.stat().st_mtime_ns == stat.st_mtime_ns
    (edited,) = store.list_pages()
    assert edited.version != before.version
    assert edited.version == store.read("infra").version


def test_an_append_the_disk_refuses_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalFolderStore(tmp_path)
    real_open = open

    def refuse(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if "a" in mode:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(StoreUnavailable, match=r"append to page 'log'.*Permission denied"):
        store.append("log", ["a line"])
