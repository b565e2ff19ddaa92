/*
 * spm.h: a plain C interface to SentencePiece, so that Swift can use the
 * C++ library without C++ interoperability.
 *
 * Conventions:
 * - Handles are opaque; each `*_free` accepts NULL.
 * - Every fallible function returns an `spm_status`. On failure, and when the
 *   caller passed a non-NULL `error`, `*error` receives a message allocated
 *   with malloc that the caller releases with `spm_string_free`. On success
 *   `*error` is set to NULL.
 * - Text is UTF-8 given as pointer + byte length (it need not be
 *   NUL-terminated); buffers returned to the caller are allocated with malloc
 *   and released with the matching `*_free` function.
 * - A loaded processor is immutable: concurrent calls on one processor from
 *   several threads are safe.
 */
#ifndef IDGENREC_SPM_H
#define IDGENREC_SPM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes; the values are those of sentencepiece::util::StatusCode. */
typedef enum spm_status {
  SPM_OK = 0,
  SPM_CANCELLED = 1,
  SPM_UNKNOWN = 2,
  SPM_INVALID_ARGUMENT = 3,
  SPM_DEADLINE_EXCEEDED = 4,
  SPM_NOT_FOUND = 5,
  SPM_ALREADY_EXISTS = 6,
  SPM_PERMISSION_DENIED = 7,
  SPM_RESOURCE_EXHAUSTED = 8,
  SPM_FAILED_PRECONDITION = 9,
  SPM_ABORTED = 10,
  SPM_OUT_OF_RANGE = 11,
  SPM_UNIMPLEMENTED = 12,
  SPM_INTERNAL = 13,
  SPM_UNAVAILABLE = 14,
  SPM_DATA_LOSS = 15,
  SPM_UNAUTHENTICATED = 16
} spm_status;

/* A loaded SentencePiece model (sentencepiece::SentencePieceProcessor). */
typedef struct spm_processor spm_processor;

/* Releases a message or text returned by this library. Accepts NULL. */
void spm_string_free(char *string);

/* Releases an id buffer returned by this library. Accepts NULL. */
void spm_ids_free(int32_t *ids);

/* Releases an offsets buffer returned by this library. Accepts NULL. */
void spm_offsets_free(size_t *offsets);

/* ---- Loading ------------------------------------------------------------ */

/* Loads a `.model` file. `path` is NUL-terminated. */
spm_status spm_processor_load_file(const char *path, spm_processor **out,
                                   char **error);

/* Loads a model from the bytes of a serialized ModelProto (a `.model` file's
 * contents). */
spm_status spm_processor_load_bytes(const void *bytes, size_t length,
                                    spm_processor **out, char **error);

void spm_processor_free(spm_processor *processor);

/* Writes the model back as a serialized ModelProto. */
spm_status spm_processor_serialize(const spm_processor *processor,
                                   char **bytes, size_t *length, char **error);

/* ---- Vocabulary --------------------------------------------------------- */

int32_t spm_processor_piece_count(const spm_processor *processor);

/* Special ids; -1 when the model has no such piece. */
int32_t spm_processor_pad_id(const spm_processor *processor);
int32_t spm_processor_eos_id(const spm_processor *processor);
int32_t spm_processor_bos_id(const spm_processor *processor);
int32_t spm_processor_unk_id(const spm_processor *processor);

/* The piece for `id`. `*piece` points into the processor and stays valid
 * until it is freed; it is not NUL-terminated. SPM_OUT_OF_RANGE when `id` is
 * not in [0, piece_count). */
spm_status spm_processor_id_to_piece(const spm_processor *processor,
                                     int32_t id, const char **piece,
                                     size_t *length);

/* The id of `piece`, or the unknown id when the vocabulary lacks it. */
int32_t spm_processor_piece_to_id(const spm_processor *processor,
                                  const char *piece, size_t length);

/* Kinds of piece, as flags. */
enum {
  SPM_PIECE_NORMAL = 0,
  SPM_PIECE_UNKNOWN = 1 << 0,
  SPM_PIECE_CONTROL = 1 << 1,
  SPM_PIECE_UNUSED = 1 << 2,
  SPM_PIECE_BYTE = 1 << 3
};

/* The SPM_PIECE_* flags of `id`; 0 for an id out of range. */
uint32_t spm_processor_piece_flags(const spm_processor *processor, int32_t id);

/* ---- Encoding and decoding ---------------------------------------------- */

/* Encodes UTF-8 text into ids (no end-of-sequence id is appended). On
 * success `*ids` holds `*count` ids, to be released with spm_ids_free
 * (`*ids` may be NULL when `*count` is 0). */
spm_status spm_processor_encode(const spm_processor *processor,
                                const char *text, size_t length,
                                int32_t **ids, size_t *count, char **error);

/* Encodes `count` texts at once, on up to `threads` threads (0 = one per
 * hardware thread). The ids of text i are
 * `(*ids)[(*offsets)[i] ..< (*offsets)[i + 1]]`; `*offsets` has `count + 1`
 * entries. Release with spm_ids_free and spm_offsets_free. */
spm_status spm_processor_encode_batch(const spm_processor *processor,
                                      const char *const *texts,
                                      const size_t *lengths, size_t count,
                                      int32_t threads, int32_t **ids,
                                      size_t **offsets, char **error);

/* Decodes ids into UTF-8 text the way SentencePiece does: control pieces
 * (pad, eos, bos) are dropped, unknown pieces become " \u2047 ". Every id
 * must be in range (SPM_OUT_OF_RANGE otherwise). `*text` is NUL-terminated
 * and `*length` excludes the terminator; release with spm_string_free. */
spm_status spm_processor_decode(const spm_processor *processor,
                                const int32_t *ids, size_t count, char **text,
                                size_t *length, char **error);

/* ---- Training ----------------------------------------------------------- */

/* Trains a model. `keys`/`values` are `option_count` NUL-terminated option
 * names and values as SentencePiece's trainer spells them without the
 * leading dashes (e.g. "vocab_size" -> "8000", "model_type" -> "unigram",
 * "minloglevel" -> "1" to keep its progress log quiet).
 * The training text is either `sentence_count` in-memory texts of the given
 * byte lengths, or, when `input_path` is non-NULL, the lines of that UTF-8
 * file (read here rather than through the "input" option, whose value is a
 * comma-separated list and so cannot name every path).
 * Writes nothing to disk: on success `*model` holds the serialized
 * ModelProto (`*model_length` bytes), released with spm_string_free. */
spm_status spm_train(const char *const *keys, const char *const *values,
                     size_t option_count, const char *input_path,
                     const char *const *sentences,
                     const size_t *sentence_lengths, size_t sentence_count,
                     char **model, size_t *model_length, char **error);

#ifdef __cplusplus
}
#endif

#endif /* IDGENREC_SPM_H */
