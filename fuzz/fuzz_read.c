/* libFuzzer target: the path-based audio_read (regular-file checks, libsndfile on a file,
 * mixdown, resampling); the last byte picks the target rate. */
#include <stdint.h>
#include <stdlib.h>

#include "audio/audio.h"
#include "common/err.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int rates[] = {16000, 16000, 8000, 44100};
    int rate = size ? rates[data[size - 1] & 3] : 16000;
    const char *path = fuzz_file(".wav", data, size);
    char err[ST_ERR_LEN];
    float *x = NULL;
    long n = 0;
    if (audio_read(path, rate, &x, &n, err) == 0) {
        volatile float acc = 0;
        for (long i = 0; i < n; i++) acc += x[i];
        free(x);
    }
    unlink(path);
    return 0;
}
