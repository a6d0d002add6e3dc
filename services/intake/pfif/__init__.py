"""PFIF (People Finder Interchange Format) 1.3 and 1.4: the pure mapping between intake's records
and PFIF person and note records, and their XML form. No I/O: the use cases (pfif_cases.py) read
and write the store, the HTTP adapter and `kinlink pfif` move the bytes."""
