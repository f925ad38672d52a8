#pragma once
// How pupils are laid out in SQLite rows, shared by the store and its import writer: the layout
// every backend shares (core/store/store_rows.h), read from SQLite statements.

#include "core/store/sqlite_db.h"
#include "core/store/store_rows.h"
