"""Arrow column builders of the Parquet landing: dictionary columns equal the plain strings."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engagement.generator.landing import parquet_bytes
from engagement.generator.render import (USER_SCHEMA, USER_TABLE_SCHEMA, dictionary_column, dictionary_strings,
                                         user_columns, user_lines, user_lines_batch)


def test_dictionary_column_has_the_values_of_dictionary_strings():
    values = ("web", "mobile", "tv", 'say "hi"', "Zürich")
    codes = np.array([4, 0, 0, 3, 2, 1, 4], dtype=np.int8)
    col = dictionary_column(values, codes)
    assert pa.types.is_dictionary(col.type)
    assert col.dictionary_decode().equals(dictionary_strings(list(values), codes))
    null = codes == 0
    with_nulls = dictionary_column(values, codes, null=null)
    assert with_nulls.to_pylist() == [None if n else values[c] for c, n in zip(codes, null)]


def test_dictionary_columns_land_as_plain_strings_with_the_same_statistics():
    values = ("b", "a", "c", "unused")
    codes = np.array([0, 1, 0, 2, 1], dtype=np.int32)
    plain = pa.table({"city": dictionary_strings(list(values), codes), "n": pa.array(range(5), pa.int32())})
    coded = pa.table({"city": dictionary_column(values, codes), "n": pa.array(range(5), pa.int32())})
    back = pq.read_table(io.BytesIO(parquet_bytes(coded)))
    assert back.schema.remove_metadata() == plain.schema and back.equals(plain)
    stats = pq.read_metadata(io.BytesIO(parquet_bytes(coded))).row_group(0).column(0).statistics
    assert (stats.min, stats.max, stats.null_count) == ("a", "c", 0)  # the unused entry is not counted


def test_user_columns_render_the_same_lines_as_the_batch_renderer():
    n = 4
    batch = {"user_id": np.array([1, 2, 30, 400]), "age": np.array([18, 99, 40, 25]),
             # the epoch, 2000-02-29 (leap day), 2026-01-05 at midnight and at its last millisecond
             "signup_ms": np.array([0, 951_782_400_000, 1_767_571_200_000, 1_767_657_599_999]),
             "signup_country": np.array([0, 1, 1, 0]), "country": np.array([1, 1, 0, 0]),
             "city": np.array([0, 2, 1, 3]), "plan": np.array([0, 1, 2, 0]),
             "change_type": np.array([0, 1, 2, 0], dtype=np.int8),
             "updated": np.array([0, 951_868_799_999, 1_767_571_200_000, 1_767_657_599_999]),
             "ingested": np.array([1, 951_868_800_000, 1_767_571_201_000, 1_767_657_600_000])}
    email = pa.array(["a.b1@x.com", 'q"uote2@y.org', "back\\slash30@z.net", "d.e400@x.com"])
    cities, countries = ("Oslo", "Bergen", "Köln", "Saint-Denis"), ("NO", "DE")
    plans = ("basic", "standard", "premium")
    cols = user_columns(batch, email, cities, countries, plans)
    assert pa.Table.from_arrays(cols, schema=USER_TABLE_SCHEMA).num_rows == n
    assert [f.name for f in USER_TABLE_SCHEMA] == USER_SCHEMA.names
    assert user_lines(cols).equals(user_lines_batch(batch, email, cities, countries, plans))
