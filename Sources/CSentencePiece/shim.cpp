// The C interface of spm.h over SentencePiece's C++ API.
//
// Nothing may unwind into C or Swift, so every entry point catches all C++
// exceptions (allocation failures included) and reports them as a status.

#include "spm.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

struct spm_processor {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

// Copies `text` into a malloc'd NUL-terminated buffer; NULL when out of memory.
char *CopyString(std::string_view text) {
  char *copy = static_cast<char *>(std::malloc(text.size() + 1));
  if (copy == nullptr) return nullptr;
  if (!text.empty()) std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

spm_status Fail(spm_status status, std::string_view message, char **error) {
  if (error != nullptr) *error = CopyString(message);
  return status;
}

spm_status Report(const sentencepiece::util::Status &status, char **error) {
  if (status.ok()) {
    if (error != nullptr) *error = nullptr;
    return SPM_OK;
  }
  return Fail(static_cast<spm_status>(status.code()), status.ToString(), error);
}

spm_status Succeed(char **error) {
  if (error != nullptr) *error = nullptr;
  return SPM_OK;
}

// Runs `body`, turning any C++ exception into a status.
template <typename Body>
spm_status Guarded(char **error, Body &&body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return Fail(SPM_RESOURCE_EXHAUSTED, "out of memory", error);
  } catch (const std::exception &e) {
    return Fail(SPM_INTERNAL, e.what(), error);
  } catch (...) {
    return Fail(SPM_INTERNAL, "unknown C++ exception", error);
  }
}

spm_status Load(spm_processor **out, char **error,
                const std::function<sentencepiece::util::Status(
                    sentencepiece::SentencePieceProcessor &)> &load) {
  if (out == nullptr) return Fail(SPM_INVALID_ARGUMENT, "out is NULL", error);
  *out = nullptr;
  return Guarded(error, [&] {
    auto handle = std::make_unique<spm_processor>();
    const auto status = load(handle->processor);
    if (!status.ok()) return Report(status, error);
    *out = handle.release();
    return Succeed(error);
  });
}

// Hands a vector's ids to the caller in a malloc'd buffer.
spm_status ExportIds(const std::vector<int> &source, int32_t **ids,
                     size_t *count, char **error) {
  *ids = nullptr;
  *count = 0;
  if (source.empty()) return Succeed(error);
  auto *buffer = static_cast<int32_t *>(std::malloc(source.size() * sizeof(int32_t)));
  if (buffer == nullptr) return Fail(SPM_RESOURCE_EXHAUSTED, "out of memory", error);
  std::copy(source.begin(), source.end(), buffer);
  *ids = buffer;
  *count = source.size();
  return Succeed(error);
}

class InMemorySentences : public sentencepiece::SentenceIterator {
 public:
  InMemorySentences(const char *const *sentences, const size_t *lengths, size_t count)
      : sentences_(sentences), lengths_(lengths), count_(count) {
    Load();
  }
  bool done() const override { return index_ >= count_; }
  void Next() override {
    ++index_;
    Load();
  }
  const std::string &value() const override { return value_; }
  sentencepiece::util::Status status() const override {
    return sentencepiece::util::Status();
  }

 private:
  void Load() {
    if (index_ < count_) value_.assign(sentences_[index_], lengths_[index_]);
  }
  const char *const *sentences_;
  const size_t *lengths_;
  size_t count_;
  size_t index_ = 0;
  std::string value_;
};

class FileLines : public sentencepiece::SentenceIterator {
 public:
  explicit FileLines(const char *path) : path_(path), stream_(path, std::ios::binary) {
    if (!stream_) {
      status_ = sentencepiece::util::Status(
          sentencepiece::util::StatusCode::kNotFound,
          std::string("cannot open ") + path_ + ": " + std::strerror(errno));
      done_ = true;
      return;
    }
    Next();
  }
  bool done() const override { return done_; }
  void Next() override {
    if (done_) return;
    if (!std::getline(stream_, value_)) {
      if (stream_.bad()) {
        status_ = sentencepiece::util::Status(
            sentencepiece::util::StatusCode::kDataLoss,
            std::string("cannot read ") + path_);
      }
      done_ = true;
      return;
    }
    // Files written on Windows end lines with CR LF.
    if (!value_.empty() && value_.back() == '\r') value_.pop_back();
  }
  const std::string &value() const override { return value_; }
  sentencepiece::util::Status status() const override { return status_; }

 private:
  std::string path_;
  std::ifstream stream_;
  std::string value_;
  bool done_ = false;
  sentencepiece::util::Status status_;
};

}  // namespace

extern "C" {

void spm_string_free(char *string) { std::free(string); }
void spm_ids_free(int32_t *ids) { std::free(ids); }
void spm_offsets_free(size_t *offsets) { std::free(offsets); }

spm_status spm_processor_load_file(const char *path, spm_processor **out, char **error) {
  if (path == nullptr) return Fail(SPM_INVALID_ARGUMENT, "path is NULL", error);
  return Load(out, error, [&](sentencepiece::SentencePieceProcessor &p) {
    return p.Load(std::string_view(path));
  });
}

spm_status spm_processor_load_bytes(const void *bytes, size_t length, spm_processor **out,
                                    char **error) {
  if (bytes == nullptr && length > 0) return Fail(SPM_INVALID_ARGUMENT, "bytes is NULL", error);
  return Load(out, error, [&](sentencepiece::SentencePieceProcessor &p) {
    return p.LoadFromSerializedProto(
        std::string_view(static_cast<const char *>(bytes), bytes == nullptr ? 0 : length));
  });
}

void spm_processor_free(spm_processor *processor) { delete processor; }

spm_status spm_processor_serialize(const spm_processor *processor, char **bytes, size_t *length,
                                   char **error) {
  if (processor == nullptr || bytes == nullptr || length == nullptr) {
    return Fail(SPM_INVALID_ARGUMENT, "NULL argument", error);
  }
  *bytes = nullptr;
  *length = 0;
  return Guarded(error, [&] {
    const std::string serialized = processor->processor.serialized_model_proto();
    char *copy = CopyString(serialized);
    if (copy == nullptr) return Fail(SPM_RESOURCE_EXHAUSTED, "out of memory", error);
    *bytes = copy;
    *length = serialized.size();
    return Succeed(error);
  });
}

int32_t spm_processor_piece_count(const spm_processor *processor) {
  return processor->processor.GetPieceSize();
}
int32_t spm_processor_pad_id(const spm_processor *processor) { return processor->processor.pad_id(); }
int32_t spm_processor_eos_id(const spm_processor *processor) { return processor->processor.eos_id(); }
int32_t spm_processor_bos_id(const spm_processor *processor) { return processor->processor.bos_id(); }
int32_t spm_processor_unk_id(const spm_processor *processor) { return processor->processor.unk_id(); }

spm_status spm_processor_id_to_piece(const spm_processor *processor, int32_t id,
                                     const char **piece, size_t *length) {
  if (processor == nullptr || piece == nullptr || length == nullptr) return SPM_INVALID_ARGUMENT;
  if (id < 0 || id >= processor->processor.GetPieceSize()) return SPM_OUT_OF_RANGE;
  // IdToPiece returns a reference into the model, which lives as long as the processor.
  const std::string &found = processor->processor.IdToPiece(id);
  *piece = found.data();
  *length = found.size();
  return SPM_OK;
}

int32_t spm_processor_piece_to_id(const spm_processor *processor, const char *piece,
                                  size_t length) {
  try {
    return processor->processor.PieceToId(std::string_view(piece, piece == nullptr ? 0 : length));
  } catch (...) {
    return processor->processor.unk_id();
  }
}

uint32_t spm_processor_piece_flags(const spm_processor *processor, int32_t id) {
  const auto &p = processor->processor;
  if (id < 0 || id >= p.GetPieceSize()) return 0;
  uint32_t flags = SPM_PIECE_NORMAL;
  if (p.IsUnknown(id)) flags |= SPM_PIECE_UNKNOWN;
  if (p.IsControl(id)) flags |= SPM_PIECE_CONTROL;
  if (p.IsUnused(id)) flags |= SPM_PIECE_UNUSED;
  if (p.IsByte(id)) flags |= SPM_PIECE_BYTE;
  return flags;
}

spm_status spm_processor_encode(const spm_processor *processor, const char *text, size_t length,
                                int32_t **ids, size_t *count, char **error) {
  if (processor == nullptr || ids == nullptr || count == nullptr || (text == nullptr && length > 0)) {
    return Fail(SPM_INVALID_ARGUMENT, "NULL argument", error);
  }
  *ids = nullptr;
  *count = 0;
  return Guarded(error, [&] {
    std::vector<int> encoded;
    const auto status = processor->processor.Encode(
        std::string_view(text == nullptr ? "" : text, length), &encoded);
    if (!status.ok()) return Report(status, error);
    return ExportIds(encoded, ids, count, error);
  });
}

spm_status spm_processor_encode_batch(const spm_processor *processor, const char *const *texts,
                                      const size_t *lengths, size_t count, int32_t threads,
                                      int32_t **ids, size_t **offsets, char **error) {
  if (processor == nullptr || ids == nullptr || offsets == nullptr ||
      (count > 0 && (texts == nullptr || lengths == nullptr))) {
    return Fail(SPM_INVALID_ARGUMENT, "NULL argument", error);
  }
  *ids = nullptr;
  *offsets = nullptr;
  return Guarded(error, [&] {
    std::vector<std::vector<int>> encoded(count);
    std::vector<sentencepiece::util::Status> statuses(count);
    auto work = [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        try {
          statuses[i] = processor->processor.Encode(
              std::string_view(texts[i] == nullptr ? "" : texts[i], lengths[i]), &encoded[i]);
        } catch (const std::exception &e) {
          statuses[i] = sentencepiece::util::Status(sentencepiece::util::StatusCode::kInternal,
                                                    e.what());
        }
      }
    };
    size_t workers = threads > 0 ? static_cast<size_t>(threads)
                                 : std::max(1u, std::thread::hardware_concurrency());
    // Below a few hundred texts a thread costs more than it saves.
    workers = std::min(workers, std::max<size_t>(1, count / 256));
    if (workers <= 1) {
      work(0, count);
    } else {
      std::vector<std::thread> pool;
      const size_t chunk = (count + workers - 1) / workers;
      for (size_t begin = 0; begin < count; begin += chunk) {
        pool.emplace_back(work, begin, std::min(count, begin + chunk));
      }
      for (auto &thread : pool) thread.join();
    }
    size_t total = 0;
    for (size_t i = 0; i < count; ++i) {
      if (!statuses[i].ok()) return Report(statuses[i], error);
      total += encoded[i].size();
    }
    auto *offsetBuffer = static_cast<size_t *>(std::malloc((count + 1) * sizeof(size_t)));
    auto *idBuffer = static_cast<int32_t *>(std::malloc(std::max<size_t>(total, 1) * sizeof(int32_t)));
    if (offsetBuffer == nullptr || idBuffer == nullptr) {
      std::free(offsetBuffer);
      std::free(idBuffer);
      return Fail(SPM_RESOURCE_EXHAUSTED, "out of memory", error);
    }
    size_t position = 0;
    for (size_t i = 0; i < count; ++i) {
      offsetBuffer[i] = position;
      std::copy(encoded[i].begin(), encoded[i].end(), idBuffer + position);
      position += encoded[i].size();
    }
    offsetBuffer[count] = position;
    *ids = idBuffer;
    *offsets = offsetBuffer;
    return Succeed(error);
  });
}

spm_status spm_processor_decode(const spm_processor *processor, const int32_t *ids, size_t count,
                                char **text, size_t *length, char **error) {
  if (processor == nullptr || text == nullptr || length == nullptr || (ids == nullptr && count > 0)) {
    return Fail(SPM_INVALID_ARGUMENT, "NULL argument", error);
  }
  *text = nullptr;
  *length = 0;
  return Guarded(error, [&] {
    const int size = processor->processor.GetPieceSize();
    std::vector<int> pieces(count);
    for (size_t i = 0; i < count; ++i) {
      if (ids[i] < 0 || ids[i] >= size) {
        return Fail(SPM_OUT_OF_RANGE,
                    "id " + std::to_string(ids[i]) + " is outside the vocabulary of " +
                        std::to_string(size) + " pieces",
                    error);
      }
      pieces[i] = ids[i];
    }
    std::string decoded;
    const auto status = processor->processor.Decode(pieces, &decoded);
    if (!status.ok()) return Report(status, error);
    char *copy = CopyString(decoded);
    if (copy == nullptr) return Fail(SPM_RESOURCE_EXHAUSTED, "out of memory", error);
    *text = copy;
    *length = decoded.size();
    return Succeed(error);
  });
}

spm_status spm_train(const char *const *keys, const char *const *values, size_t option_count,
                     const char *input_path, const char *const *sentences,
                     const size_t *sentence_lengths, size_t sentence_count, char **model,
                     size_t *model_length, char **error) {
  if (model == nullptr || model_length == nullptr ||
      (option_count > 0 && (keys == nullptr || values == nullptr)) ||
      (input_path == nullptr && sentence_count > 0 &&
       (sentences == nullptr || sentence_lengths == nullptr))) {
    return Fail(SPM_INVALID_ARGUMENT, "NULL argument", error);
  }
  *model = nullptr;
  *model_length = 0;
  return Guarded(error, [&] {
    std::unordered_map<std::string, std::string> options;
    for (size_t i = 0; i < option_count; ++i) {
      if (keys[i] == nullptr || values[i] == nullptr) {
        return Fail(SPM_INVALID_ARGUMENT, "NULL option", error);
      }
      options[keys[i]] = values[i];
    }
    std::unique_ptr<sentencepiece::SentenceIterator> iterator;
    if (input_path != nullptr) {
      auto lines = std::make_unique<FileLines>(input_path);
      // An unreadable file is reported as such rather than as an empty corpus.
      if (!lines->status().ok()) return Report(lines->status(), error);
      iterator = std::move(lines);
    } else {
      iterator = std::make_unique<InMemorySentences>(sentences, sentence_lengths, sentence_count);
    }
    std::string serialized;
    const auto status =
        sentencepiece::SentencePieceTrainer::Train(options, iterator.get(), &serialized);
    if (!status.ok()) return Report(status, error);
    if (serialized.empty()) return Fail(SPM_INTERNAL, "the trainer produced no model", error);
    char *copy = static_cast<char *>(std::malloc(serialized.size()));
    if (copy == nullptr) return Fail(SPM_RESOURCE_EXHAUSTED, "out of memory", error);
    std::memcpy(copy, serialized.data(), serialized.size());
    *model = copy;
    *model_length = serialized.size();
    return Succeed(error);
  });
}

}  // extern "C"
