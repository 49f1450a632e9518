"""LocalFolderStore: atomic writes, appends that survive a torn line, content-hash versions."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

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

    monkeypatch.setattr(os, "replace", crash)
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
    real_open = os.open

    def refuse(
        file: str | os.PathLike[str], flags: int, mode: int = 0o777, *, dir_fd: int | None = None
    ) -> int:
        if flags & os.O_APPEND:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(file, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(StoreUnavailable, match=r"append to page 'log'.*Permission denied"):
        store.append("log", ["a line"])


# -- a workspace that cannot be tricked: links, odd files, bad names -------------------------

OUTSIDE_SECRET = "The vault master password is in the safe (outside the workspace)."


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file the service can read but that is not part of the workspace."""
    file = tmp_path / "elsewhere" / "private.md"
    file.parent.mkdir()
    file.write_text(f"# Private\n\n{OUTSIDE_SECRET}\n")
    return file


def _unusable(store: LocalFolderStore) -> dict[str, str]:
    return {u.file: f"{u.reason} | {u.hint}" for u in store.unusable_files()}


def test_a_link_leaving_the_workspace_is_never_listed_or_read_and_is_reported(
    store: LocalFolderStore, outside: Path
) -> None:
    store.write("infra", "# Infra\n")
    (store.path / "private.md").symlink_to(outside)
    assert [ref.id for ref in store.list_pages()] == ["infra"]
    with pytest.raises(PageError, match="symbolic link") as caught:
        store.read("private")
    assert caught.value.page_id == "private"
    assert OUTSIDE_SECRET not in str(caught.value)
    reported = _unusable(store)
    assert list(reported) == ["private.md"]
    assert "outside the workspace" in reported["private.md"]
    assert str(outside) in reported["private.md"]
    assert "cp --remove-destination" in reported["private.md"]  # what to do


def test_a_link_swapped_in_is_refused_by_every_operation_and_the_target_is_untouched(
    store: LocalFolderStore, outside: Path
) -> None:
    (store.path / "log.md").symlink_to(outside)
    before = outside.read_bytes()
    for operation in (
        lambda: store.read("log"),
        lambda: store.tail("log", 5),
        lambda: store.append("log", ["an event"]),
        lambda: store.write("log", "# Log\n"),
    ):
        with pytest.raises(PageError, match="symbolic link"):
            operation()
    assert outside.read_bytes() == before
    assert (store.path / "log.md").is_symlink()


def test_a_link_inside_the_workspace_is_refused_too_and_names_the_real_page(
    store: LocalFolderStore,
) -> None:
    store.write("infra", "# Infra\n")
    (store.path / "infrastructure.md").symlink_to(store.path / "infra.md")
    assert [ref.id for ref in store.list_pages()] == ["infra"]
    reported = _unusable(store)
    assert "inside the workspace" in reported["infrastructure.md"]
    assert "'infra.md'" in reported["infrastructure.md"]


def test_a_dangling_link_is_reported(store: LocalFolderStore, tmp_path: Path) -> None:
    (store.path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    assert store.list_pages() == []
    assert "does not exist" in _unusable(store)["gone.md"]


def test_the_workspace_folder_itself_may_be_reached_through_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real-workspace"
    LocalFolderStore(real).write("infra", "# Infra\n")
    (tmp_path / "ws").symlink_to(real)
    linked = LocalFolderStore(tmp_path / "ws")
    assert [ref.id for ref in linked.list_pages()] == ["infra"]
    assert linked.read("infra").text == "# Infra\n"
    assert linked.unusable_files() == []


def test_a_folder_named_like_a_page_is_reported_and_never_overwritten(
    store: LocalFolderStore,
) -> None:
    (store.path / "clients.md").mkdir()
    (store.path / "clients.md" / "halden.md").write_text("# Halden\n")
    assert store.list_pages() == []
    assert "a folder named like a page" in _unusable(store)["clients.md"]
    with pytest.raises(PageError, match="a folder"):
        store.read("clients")
    with pytest.raises(PageError, match="refusing to write"):
        store.write("clients", "# Clients\n")
    assert (store.path / "clients.md" / "halden.md").exists()


def test_a_named_pipe_is_reported_and_reading_it_does_not_hang(store: LocalFolderStore) -> None:
    os.mkfifo(store.path / "pipe.md")
    assert store.list_pages() == []
    assert "a named pipe" in _unusable(store)["pipe.md"]
    with pytest.raises(PageError, match="named pipe"):
        store.read("pipe")


@pytest.mark.parametrize(
    ("name", "why", "rename"),
    [
        ("Client notes.md", "holds ' '", "Client-notes.md"),
        ("café notes.md", "holds ' ', 'é'", "cafe-notes.md"),
        ("_draft.md", "starts with '_'", "draft.md"),
        ("x" * 130 + ".md", "130 characters, over 128", "x" * 128 + ".md"),
    ],
)
def test_a_name_that_is_not_a_page_id_is_reported_with_a_name_that_would_work(
    store: LocalFolderStore, name: str, why: str, rename: str
) -> None:
    (store.path / name).write_text("# Notes\n")
    assert store.list_pages() == []
    reported = _unusable(store)[name]
    assert why in reported
    assert f"Rename it to {rename}" in reported


def test_a_name_that_is_not_utf8_is_reported_printably(store: LocalFolderStore) -> None:
    name = os.fsdecode(b"caf\xe9.md")
    try:
        (store.path / name).write_text("# Café\n")
    except (OSError, UnicodeEncodeError):  # pragma: no cover - file systems that refuse it
        pytest.skip("this file system refuses undecodable names")
    (found,) = store.unusable_files()
    assert found.file == "caf\\xe9.md"
    found.file.encode("utf-8")  # printable, JSON-safe
    assert store.list_pages() == []


@pytest.mark.parametrize(("name", "rename"), [("Infra.MD", "Infra.md"), ("ops.markdown", "ops.md")])
def test_markdown_with_another_extension_is_reported(
    store: LocalFolderStore, name: str, rename: str
) -> None:
    (store.path / name).write_text("# Ops\n")
    (store.path / "notes.txt").write_text("not meant as a page")
    (store.path / "brain.toml").write_text("[store]\n")
    (store.path / ".infra.abc.tmp").write_text("left by a crash")
    assert list(_unusable(store)) == [name]
    assert f"Rename it to {rename}" in _unusable(store)[name]


def test_an_unreadable_page_is_reported_and_the_rest_still_listed(
    store: LocalFolderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("infra", "# Infra\n")
    store.write("locked", "# Locked\n")
    locked = store.path / "locked.md"
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads anything: refuse at the seam instead
        real_open = os.open

        def refuse(
            file: str | os.PathLike[str],
            flags: int,
            mode: int = 0o777,
            *,
            dir_fd: int | None = None,
        ) -> int:
            if os.fspath(file).endswith("locked.md"):
                raise PermissionError(errno.EACCES, "Permission denied")
            return real_open(file, flags, mode, dir_fd=dir_fd)

        monkeypatch.setattr(os, "open", refuse)
    assert [ref.id for ref in store.list_pages()] == ["infra"]
    reported = _unusable(store)
    assert "cannot be read: Permission denied" in reported["locked.md"]
    assert "chmod u+r locked.md" in reported["locked.md"]
    with pytest.raises(PageError, match=r"cannot read 'locked\.md': Permission denied"):
        store.read("locked")
    locked.chmod(0o644)
