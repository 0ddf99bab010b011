/* libFuzzer target: the decoded-audio cache loader (sc_cache_load). The expected key and
 * sizes are taken from the input's own header, so the fuzzer reaches the body checks; with
 * -DST_FUZZ_NO_CHECKSUM the checksum is skipped too. Whatever loads is read in full. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "audio/sc_internal.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t key = 0;
    uint32_t nitems = 0, clip = 0, nnoise_files = 0;
    if (size >= 36) {
        memcpy(&key, data + 16, 8);
        memcpy(&nitems, data + 24, 4);
        memcpy(&clip, data + 28, 4);
        memcpy(&nnoise_files, data + 32, 4);
    }
    if (nitems > (1u << 20) || clip > (1u << 20) || nnoise_files > (1u << 20)) return 0;
    const char *path = fuzz_file(".bin", data, size);
    char err[ST_ERR_LEN];
    sc_audio_t a;
    if (sc_cache_load(path, key, (int)nitems, (int)nnoise_files, (int)clip, &a, err) == 0) {
        volatile double acc = 0;
        for (long i = 0; i < (long)nitems * clip; i++) acc += a.pcm[i];
        for (int i = 0; i < (int)nitems; i++) acc += a.scale[i] + a.bad[i];
        for (long i = 0; i < a.nnoise; i++) acc += a.noise[i];
        for (int i = 0; i < a.nmsgs; i++)
            if (a.msgs[i]) acc += (double)strlen(a.msgs[i]);
        sc_audio_free(&a);
    }
    unlink(path);
    return 0;
}
