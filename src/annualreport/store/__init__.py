"""The store: every figure, national and local, with its indicator and source."""

STORE_CSV = "store.csv"  # the store's table, in the build folder (figures.build_store writes it)
STORE_META = "store.json"  # its settings: indicators, members, thresholds, targets, datasets read
KEYS_DIR = ".keys"  # in the build's working folder while chapters run; removed before the report is swapped in
PUBLIC_STORE = f"{KEYS_DIR}/store-public.csv"  # the store's public view, made once for all the chapters
