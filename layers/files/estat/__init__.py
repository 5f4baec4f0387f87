"""The census files councils download from e-Stat (政府統計の総合窓口), read as downloaded.

- :mod:`~layers.files.estat.table`: the 統計GIS text tables (``tblT…``: Shift_JIS, a row of
  codes, a row of Japanese labels, ``*`` hidden and ``-`` zero), plain or zipped;
- :mod:`~layers.files.estat.secrecy`: their 秘匿処理 (cells whose counts e-Stat hid and added
  to a neighbour), spread back so that no one is lost or counted twice;
- :mod:`~layers.files.estat.mesh`: 地域メッシュ統計 (1 km, 500 m, 250 m cells);
- :mod:`~layers.files.estat.small_area`: 小地域（町丁・字等）: the 境界 shapefile joined with
  the age table of the same census.

:func:`layers.files.population.load_population` calls them for ``format = "estat_mesh"`` and
``format = "estat_small_area"``.
"""
