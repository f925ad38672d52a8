#pragma once
// Builds one input's batch as a connector reads it, for every format: each pupil once, a second
// mark for the same pupil-session dropped when identical and reported when it conflicts, the
// same for a pupil's admission-register period, parts handed to the receiver every kPartMarks
// marks so memory stays flat, problems capped.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/inbound/common/import_receiver.h"
#include "mapping/mark_normaliser.h"

namespace markbridge {

class BatchBuilder {
 public:
  static constexpr std::size_t kPartMarks = std::size_t{1} << 16;
  static constexpr std::size_t kMaxProblems = 100;

  BatchBuilder(ImportReceiver& receiver, std::string source, std::string origin, int priority);

  ImportBatch& batch() { return batch_; }
  const ImportReceiver& receiver() const { return receiver_; }
  // Enough problems to reject the input: the connector stops reading.
  bool full() const { return batch_.problems.size() >= kMaxProblems; }
  void problem(int line, int column, std::string value, std::string message);
  bool knowsPupil(const std::string& upn) const { return ledger_.count(upn) != 0; }
  // The first time a pupil is named (later details for the same pupil are ignored).
  void addPupil(Pupil&& pupil);
  // A pupil's admission-register period as the input states it (a long export repeats it on
  // every row): kept once; a second statement for the same pupil and admission date that says
  // something else (another leaving date, reason or destination) is a problem at its line, as
  // a conflicting mark is: which one the MIS meant cannot be known.
  void addOnRoll(OnRollRecord&& roll);
  // Normalises `raw` into a reused mark and adds it (no copy of the strings on the way): a second
  // mark for the same pupil-session is dropped when identical and reported when it conflicts.
  void addRaw(const MarkNormaliser& normaliser, const RawMark& raw);
  // The code of the mark addRaw() last normalised.
  Code lastCode() const { return scratch_.code; }
  // Hands the rest to the receiver; `fingerprint` names the raw bytes.
  void finish(std::string fingerprint);

 private:
  struct PupilSessions {
    Date first;
    std::vector<uint8_t> codes;  // per session from `first`: code index + 1, 0 when none yet
  };
  // Checks a mark against the ledger and counts it; true when it is to be kept.
  bool admit(const Mark& mark, int line, const RawField& code, bool review);
  void handOnIfFull();
  // The code index + 1 already seen for this session, or 0; records `code` when none.
  uint8_t remember(PupilSessions& sessions, Date date, Session session, uint8_t code);

  ImportReceiver& receiver_;
  ImportBatch batch_;
  std::unordered_map<std::string, PupilSessions> ledger_;
  // Each pupil's periods stated so far (usually one), with the line that first stated each.
  std::unordered_map<std::string, std::vector<std::pair<OnRollPeriod, int>>> rollsStated_;
  PupilSessions* last_ = nullptr;  // rows for one pupil come together
  std::string lastUpn_;
  Mark scratch_;
};

}  // namespace markbridge
