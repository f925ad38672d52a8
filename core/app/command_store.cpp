// `markbridge store copy --from sqlite:PATH --to postgresql://URI --school URN`: a school's whole
// history moved from its SQLite store into PostgreSQL (core/store/store_copy.h), verified table by
// table. The password comes as libpq takes it (PGPASSWORD, or a password file it reads:
// ~/.pgpass, PGPASSFILE), never an argument.

#include <iomanip>
#include <ostream>

#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/store/postgres_db.h"
#include "core/store/store_copy.h"

namespace markbridge {

int storeCommand(const Args& args, std::ostream& out, std::ostream& err) {
  const std::string action = args.files.empty() ? "" : args.files[0];
  std::string from = args.from;
  if (from.rfind("sqlite:", 0) == 0) from = from.substr(7);
  const bool toPostgres =
      args.to.rfind("postgresql://", 0) == 0 || args.to.rfind("postgres://", 0) == 0;
  if (action != "copy" || args.files.size() > 1 || from.empty() || !toPostgres ||
      args.school.empty()) {
    err << "usage: markbridge store copy --from sqlite:PATH --to postgresql://USER@HOST/DB "
           "--school URN\n(the password from PGPASSWORD or ~/.pgpass; docs/scale-out.md)\n";
    return kExitConfig;
  }
  if (postgresUriHoldsPassword(args.to)) {
    err << "markbridge store copy: the PostgreSQL URI holds a password (it would be in your "
           "shell's history): give it in PGPASSWORD or ~/.pgpass\n";
    return kExitConfig;
  }
  std::vector<TableCopied> copied;
  try {
    copied = copySqliteToPostgres(from, args.to, args.school);
  } catch (const StoreCopyRefused& e) {
    err << "markbridge store copy: refused: " << e.what() << "\n";
    return kExitConfig;
  }
  int64_t rows = 0;
  for (const auto& t : copied) {
    out << "  " << std::left << std::setw(24) << t.table << std::right << std::setw(10) << t.rows
        << " rows  sha256 " << t.sha256.substr(0, 16) << "\n";
    rows += t.rows;
  }
  out << "school " << args.school << " copied to " << describePostgresUri(args.to) << ": "
      << copied.size() << " tables, " << rows
      << " rows, each read back and equal to the SQLite store (rows and SHA-256)\n"
      << "next: point the school's configuration at the PostgreSQL store (docs/scale-out.md) "
         "and start the service; keep "
      << from << " as the backup it now is\n";
  return kExitOk;
}

}  // namespace markbridge
