"""``Forma``: the Python client of Forma's API for notebooks and scripts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import TracebackType
from typing import Any, overload

import httpx
import pandas as pd
import pyarrow as pa

from forma_client import coaching, datasets
from forma_client.datasets import DateLike
from forma_client.session import DEFAULT_TIMEOUT, Session


class Forma:
    """A session with Forma's API (synchronous, on ``httpx``).

    Parameters
    ----------
    base_url : str
        The API's address, e.g. ``"http://127.0.0.1:8000"``.
    token : str, optional
        An access token; without one, use :meth:`login`.
    refresh_token : str, optional
        Renews the access token when a request answers 401 (it expires after 15 minutes);
        :meth:`login` keeps the one the API gives.
    timeout : float
        Seconds to wait for a connection, and between bytes of an answer.
    transport : httpx.BaseTransport, optional
        A custom transport (proxies, tests).

    Every method raises :class:`~forma_client.FormaError` for an error answer. Analysts
    and admins read datasets and models; athletes get 403 there. Use as a context manager
    or call :meth:`close`.

    Examples
    --------
    >>> with Forma.login("http://127.0.0.1:8000", "analyst@forma.example", "…") as forma:
    ...     sets = forma.frame("sets", since="2025-01-01", columns=["athlete", "e1rm_kg"])
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        refresh_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.session = Session(
            base_url,
            access_token=token,
            refresh_token=refresh_token,
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def login(
        cls,
        base_url: str,
        email: str,
        password: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> Forma:
        """Log in with e-mail and password (``POST /v1/auth/token``); 401
        ``invalid_credentials``, 429 ``rate_limited`` (with ``retry_after``)."""
        forma = cls(base_url, timeout=timeout, transport=transport)
        try:
            forma.session.login(email, password)
        except BaseException:
            forma.close()
            raise
        return forma

    @property
    def token(self) -> str | None:
        """The current access token (it changes when the session renews it)."""
        return self.session.access_token

    # ------------------------------------------------------------------ datasets

    def datasets(self) -> pd.DataFrame:
        """The datasets: one row each with ``name``, ``description``, ``row_count``,
        ``freshness`` (UTC timestamp of the newest change that fed it, NaT if none),
        ``columns`` (list of ``{name, type, unit, description}``), ``time_column``,
        ``row_count_exact`` and ``formats``; ``attrs["key_period"]`` is the current key
        period of the pseudonyms."""
        return datasets.datasets_frame(self.session)

    def schema(self, name: str) -> pd.DataFrame:
        """The columns of dataset ``name``, one row each: ``name``, ``type`` (Arrow type,
        e.g. ``timestamp[us, tz=UTC]``), ``unit`` (None when unitless) and
        ``description``. 404 ``dataset_not_found``."""
        return datasets.schema_frame(self.session, name)

    def arrow(
        self,
        name: str,
        *,
        since: DateLike | None = None,
        until: DateLike | None = None,
        columns: Sequence[str] | str | None = None,
        sample: float | None = None,
        run_id: uuid.UUID | str | None = None,
        snapshot: uuid.UUID | str | None = None,
        progress: bool = True,
    ) -> pa.Table:
        """Dataset ``name`` as a ``pyarrow.Table`` (the arguments of :meth:`frame`)."""
        return datasets.read_arrow(
            self.session,
            name,
            since=since,
            until=until,
            columns=columns,
            sample=sample,
            run_id=run_id,
            snapshot=snapshot,
            progress=progress,
        )

    def frame(
        self,
        name: str,
        *,
        since: DateLike | None = None,
        until: DateLike | None = None,
        columns: Sequence[str] | str | None = None,
        sample: float | None = None,
        run_id: uuid.UUID | str | None = None,
        snapshot: uuid.UUID | str | None = None,
        progress: bool = True,
    ) -> pd.DataFrame:
        """Dataset ``name`` as a pandas DataFrame, downloaded as Parquet.

        Parameters
        ----------
        name : str
            ``workouts``, ``sets``, ``cardio_sessions``, ``daily_load``,
            ``exercise_progress``, ``features`` or ``recommendation_feedback``
            (:meth:`datasets` lists them).
        since, until : date, datetime or ISO str, optional
            Days (inclusive) of the dataset's time column; a datetime keeps its date.
        columns : list of str or comma-separated str, optional
            The columns to read, in that order; default all.
        sample : float, optional
            The fraction (0 < sample ≤ 1) of athletes to keep; the same athletes for the
            same fraction within a key period.
        run_id : UUID or str, optional
            ``features`` only: the training run whose features to read (default the
            latest run that produced a version).
        snapshot : UUID or str, optional
            Read this frozen snapshot instead of the live rows (only ``columns`` may be
            given with it).
        progress : bool
            Show the download's progress on stderr.

        Returns
        -------
        pandas.DataFrame
            One row per dataset row. Timestamps are tz-aware (``datetime64[us, UTC]``),
            low-cardinality text columns are ``category``, days are ``datetime.date``,
            integer columns with nulls are float. Athletes appear as pseudonyms
            (``athlete``), never as user ids or e-mails. ``attrs["key_period"]`` names
            the pseudonyms' key period; ``attrs["run_id"]`` (``features``) and
            ``attrs["snapshot"]`` say which run or snapshot the rows are (the Arrow
            table of :meth:`arrow` carries them as ``forma.*`` schema metadata).

        Raises
        ------
        FormaError
            403 for athletes; 404 ``dataset_not_found``; 422 naming the bad parameter
            (``since``/``until`` reversed, ``sample`` out of range, unknown ``columns``);
            503 with ``retry_after`` when the server's export slots are taken; 409
            ``snapshot_not_ready`` for an unfinished snapshot.
        """
        table = self.arrow(
            name,
            since=since,
            until=until,
            columns=columns,
            sample=sample,
            run_id=run_id,
            snapshot=snapshot,
            progress=progress,
        )
        return datasets.to_pandas(table)

    def snapshot(
        self,
        name: str,
        *,
        wait: bool = True,
        poll: float = 1.0,
        timeout: float | None = None,
        progress: bool = True,
        **filters: Any,
    ) -> dict[str, Any]:
        """Freeze dataset ``name`` as it is now (``since``, ``until``, ``sample``,
        ``columns``, ``run_id`` as in :meth:`frame`).

        Returns the snapshot's record ``{id, dataset, status, progress, row_count,
        key_period, filters, created_at, taken_at, finished_at, created_by, run_id,
        message}``: as accepted (``status``
        ``queued``) when not ``wait``, else once it ``succeeded``. Read its rows with
        ``frame(name, snapshot=record["id"])``. Raises :class:`FormaError`
        ``snapshot_failed`` (details: the record) when it failed, ``timeout`` when
        ``timeout`` seconds pass first.
        """
        return datasets.take_snapshot(
            self.session,
            name,
            wait=wait,
            poll=poll,
            timeout=timeout,
            progress=progress,
            **filters,
        )

    def snapshots(
        self, *, dataset: str | None = None, run_id: uuid.UUID | str | None = None
    ) -> pd.DataFrame:
        """Every snapshot, newest first (only ``dataset``'s, or training run ``run_id``'s,
        when given), one row each: ``id``, ``dataset``, ``status``, ``progress``,
        ``filters``, ``key_period``, ``row_count``, ``created_at``, ``taken_at`` (the
        moment the rows are as of), ``finished_at``, ``created_by``, ``run_id``,
        ``message``."""
        return datasets.snapshots_frame(self.session, dataset=dataset, run_id=run_id)

    # ------------------------------------------------------------------ the coach

    @overload
    def recommend(self, exercise_id: None = None) -> list[dict[str, Any]]: ...
    @overload
    def recommend(self, exercise_id: uuid.UUID | str) -> dict[str, Any]: ...

    def recommend(
        self, exercise_id: uuid.UUID | str | None = None
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """The caller's next-session prescriptions.

        Without ``exercise_id``: a list, one per main exercise (at most 8, most trained
        first). With it: that exercise's prescription (404 for an unknown exercise).
        Each is ``{id, exercise_id, exercise_name, predicted_e1rm_kg, interval_kg: [low,
        high] (80 %, kg), sets: [{weight_kg, weight, unit, reps, target_rpe}], model:
        {name, version} | None, rule, explanation, as_of}``.
        """
        if exercise_id is None:
            return coaching.recommendations(self.session)
        return coaching.recommendation(self.session, exercise_id)

    def models(self) -> pd.DataFrame:
        """The registered models, one row each: ``name``, ``champion``, ``challenger``,
        ``latest_version`` (Int64) and ``latest_run``."""
        return coaching.models_frame(self.session)

    def versions(self, name: str) -> pd.DataFrame:
        """Every version of model ``name``, newest first, with its metrics, params,
        training window and data snapshot (``snapshot["snapshot_id"]`` names the
        ``features`` snapshot it trained on, when recorded)."""
        return coaching.versions_frame(self.session, name)

    def run(self, name: str, run_id: uuid.UUID | str) -> dict[str, Any]:
        """A training run of model ``name``: status, progress (0–1), counts, version."""
        return coaching.run_record(self.session, name, run_id)

    def train(
        self,
        name: str,
        *,
        wait: bool = True,
        poll: float = 1.0,
        timeout: float | None = None,
        progress: bool = True,
        **params: Any,
    ) -> dict[str, Any]:
        """Train model ``name`` (admins) with hyper-parameter overrides ``params``
        (e.g. ``max_iter=200``).

        Returns the run ``{id, status: "queued", progress}`` when not ``wait``, else the
        run's record once it ``succeeded`` (``version`` is the version it produced).
        Raises :class:`FormaError` 403 for analysts, 409 ``training_in_progress``, 422
        naming a bad hyper-parameter, ``training_failed`` (details: the run) when it
        failed.
        """
        return coaching.start_training(
            self.session,
            name,
            wait=wait,
            poll=poll,
            timeout=timeout,
            progress=progress,
            params=params,
        )

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the connections."""
        self.session.close()

    def __enter__(self) -> Forma:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
