"""Configuration: the embedded default, brain.toml, environment overrides, secret references."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from config import BrainConfig, ConfigError, load_config

SECRET = "ghp_0123456789abcdefghijABCDEFGHIJklmnop"

BRAIN_TOML = """\
[store]
kind = "local"
path = "pages"

[webhooks]
log_page = "ops-log"

[webhooks.sources.github]
scheme = "github"
secrets = ["env:GITHUB_WEBHOOK_SECRET", "sm:projects/p/secrets/GH/versions/2"]

[tokens]
margin = 0.2

[deploy]
project = "kestrel-ops"
region = "europe-west2"
"""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No BRAIN_* variables from the machine, and a working folder without a brain.toml."""
    for name in list(os.environ):
        if name.startswith("BRAIN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_with_no_file_the_embedded_default_is_a_local_workspace() -> None:
    config = load_config()
    assert config.store.kind == "local"
    assert config.store.path == "workspace"
    assert config.base_dir == "."
    assert config.webhooks.log_page == "webhook-log"
    assert config.webhooks.sources == {}
    assert config.tokens.margin == 0.15
    assert config.state_url == "sqlite:///.brain/state.sqlite3"


def test_values_come_from_the_file_and_paths_resolve_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    config = load_config(_write(folder / "custom.toml", BRAIN_TOML))
    assert config.store.path == "pages"
    assert config.resolve(config.store.path) == folder.resolve() / "pages"
    assert config.webhooks.log_page == "ops-log"
    github = config.webhooks.sources["github"]
    assert github.scheme == "github"
    assert github.secrets == ("env:GITHUB_WEBHOOK_SECRET", "sm:projects/p/secrets/GH/versions/2")
    assert config.tokens.margin == 0.2
    assert (config.deploy.project, config.deploy.region) == ("kestrel-ops", "europe-west2")


def test_a_brain_toml_in_the_working_folder_is_read_by_default(tmp_path: Path) -> None:
    _write(tmp_path / "brain.toml", BRAIN_TOML)
    assert load_config().webhooks.log_page == "ops-log"


def test_environment_variables_override_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRAIN_STORE__KIND", "notion")
    monkeypatch.setenv("BRAIN_STORE__ROOT_PAGE_ID", "0123abcd")
    monkeypatch.setenv("BRAIN_WEBHOOKS__LOG_PAGE", "env-log")
    monkeypatch.setenv("BRAIN_TOKENS__MARGIN", "0.3")
    config = load_config(_write(tmp_path / "brain.toml", BRAIN_TOML))
    assert config.store.kind == "notion"
    assert config.store.root_page_id == "0123abcd"
    assert config.store.path == "pages"  # keys the environment does not set keep the file's
    assert config.webhooks.log_page == "env-log"
    assert config.webhooks.sources["github"].scheme == "github"
    assert config.tokens.margin == 0.3


def test_environment_variables_override_the_embedded_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRAIN_SERVE__PORT", "9090")
    assert load_config().serve.port == 9090


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_STORE__KIND", "s3")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert "config key 'store.kind'" in str(caught.value)
    assert "BRAIN_STORE__KIND" in (caught.value.hint or "")


def test_a_literal_secret_is_rejected_with_the_variable_to_use_in_the_hint(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "brain.toml",
        f'[webhooks.sources.github]\nscheme = "github"\nsecrets = ["{SECRET}"]\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert "config key 'webhooks.sources.github.secrets'" in str(error)
    assert "never the secret itself" in str(error)
    assert "env:NAME" in str(error)
    assert "BRAIN_WEBHOOKS__SOURCES__GITHUB__SECRETS" in (error.hint or "")
    assert str(path) in (error.hint or "")
    # the secret itself appears nowhere, not even in the chained pydantic error
    assert SECRET not in str(error)
    assert SECRET not in repr(error.__cause__)
    assert SECRET not in str(error.__cause__)


def test_a_literal_notion_token_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path / "brain.toml", '[store]\nkind = "notion"\ntoken = "secret_abc123"\n')
    with pytest.raises(ConfigError, match=r"store\.token"):
        load_config(path)


def test_bad_toml_is_a_config_error_naming_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "brain.toml", '[store]\nkind = "local"\npath = \n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"config file {str(path)!r} is not valid TOML" in str(caught.value)
    assert "line 3" in str(caught.value)


def test_a_non_utf8_config_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "brain.toml"
    path.write_bytes(b'[store]\npath = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(path)


def test_a_missing_config_file_is_a_config_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert "does not exist" in str(caught.value)
    assert "--config" in (caught.value.hint or "")


def test_an_unknown_key_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "brain.toml", '[store]\nkind = "local"\nfolder = "x"\n')
    with pytest.raises(ConfigError, match=r"store\.folder"):
        load_config(path)


def test_the_workspace_option_overrides_the_store_path_and_kind(tmp_path: Path) -> None:
    path = _write(tmp_path / "brain.toml", '[store]\nkind = "notion"\nroot_page_id = "abc"\n')
    config = load_config(path, workspace="elsewhere")
    assert config.store.kind == "local"
    assert config.store.path == str((tmp_path / "elsewhere").resolve())
    assert config.resolve(config.store.path) == (tmp_path / "elsewhere").resolve()


def test_the_workspace_option_beats_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRAIN_STORE__PATH", "/srv/from-env")
    monkeypatch.setenv("BRAIN_STORE__KIND", "notion")
    assert load_config().store.path == "/srv/from-env"
    config = load_config(workspace=tmp_path / "cli")
    assert (config.store.kind, config.store.path) == ("local", str(tmp_path / "cli"))


# -- environment overrides, as pydantic-settings read them ----------------------------------


class Reference(BaseSettings, BrainConfig):
    """BrainConfig as pydantic-settings read it before config.env (the same fields, prefix,
    delimiter and precedence: the environment over the file)."""

    model_config = SettingsConfigDict(
        env_prefix="BRAIN_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)


def _as_pydantic_settings_reads(environ: dict[str, str]) -> dict[str, object]:
    saved = dict(os.environ)
    try:
        os.environ.update(environ)
        return Reference(**tomllib.loads(BRAIN_TOML)).model_dump()
    finally:
        os.environ.clear()
        os.environ.update(saved)


ENVIRONMENTS = [
    {"BRAIN_STORE__KIND": "notion", "BRAIN_STORE__ROOT_PAGE_ID": "abc", "BRAIN_SERVE__PORT": "7"},
    {"brain_tokens__margin": "0.5", "Brain_Webhooks__Log_Page": "mixed-case"},
    {"BRAIN_STORE": '{"kind": "notion", "root_page_id": "x"}'},
    {
        "BRAIN_WEBHOOKS__SOURCES__GITHUB__SECRETS": '["env:GH_ONE", "env:GH_TWO"]',
        "BRAIN_WEBHOOKS__SOURCES__STRIPE__SCHEME": "stripe",
        "BRAIN_WEBHOOKS__SOURCES__STRIPE__LOG_PAGE": "payments",
    },
    {"BRAIN_WEBHOOKS__SOURCES": '{"slack": {"scheme": "slack", "secrets": ["env:S"]}}'},
    {"BRAIN_CONTEXT__SEMANTIC": "off", "BRAIN_CONTEXT__CHECK_INTERVAL_S": "0.5"},
    {"BRAIN_CONFIG": "elsewhere.toml", "BRAIN_NOT_A_KEY": "1", "OTHER": "x"},
    {"BRAIN_DEPLOY__PROJECT": "", "BRAIN_STATE__URL": "postgresql://db/brain"},
]


@pytest.mark.parametrize("environ", ENVIRONMENTS)
def test_the_environment_reads_as_pydantic_settings_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    expected = _as_pydantic_settings_reads(environ)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = load_config(_write(tmp_path / "brain.toml", BRAIN_TOML))
    assert config.model_dump(exclude={"base_dir"}) == {
        k: v for k, v in expected.items() if k != "base_dir"
    }


def test_a_variable_that_is_not_the_json_its_key_needs_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRAIN_WEBHOOKS__SOURCES__GITHUB__SECRETS", "env:GH")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert "BRAIN_WEBHOOKS__SOURCES__GITHUB__SECRETS is not valid JSON" in str(caught.value)


def test_an_unknown_key_under_a_section_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_STORE__NOPE", "1")
    with pytest.raises(ConfigError, match=r"config key 'store\.nope'"):
        load_config()
