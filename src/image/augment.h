/* augment.h: the standard CIFAR input pipeline on one image (docs/reference.md §7).
 *
 * The torchvision recipe is RandomCrop(32, padding=4) -> RandomHorizontalFlip ->
 * ToTensor -> Normalize(mean, std): the padding is black in pixel space (value 0), so
 * after normalisation it is -mean/std, not 0. We keep that order: crop and flip on raw
 * bytes, then normalise.
 */
#ifndef ST_IMAGE_AUGMENT_H
#define ST_IMAGE_AUGMENT_H

#include <stdint.h>

#include "common/rng.h"

/* dst (c, h, w) <- the h x w window at (dy, dx) of src (c, h, w) zero-padded by pad on every
 * side (0 <= dy, dx <= 2*pad), mirrored left-right when flip. dst must not alias src. */
void image_crop_flip_u8(uint8_t *dst, const uint8_t *src, int c, int h, int w, int pad, int dy,
                        int dx, int flip);

/* Draws the crop offsets uniformly from 0..2*pad and flips with probability 1/2, in that
 * order from r, then applies image_crop_flip_u8. */
void image_augment_u8(uint8_t *dst, const uint8_t *src, int c, int h, int w, int pad, rng_t *r);

/* dst (c, hw) <- (src / 255 - mean[ch]) / std[ch]. */
void image_normalize(float *dst, const uint8_t *src, int c, int hw, const float *mean,
                     const float *std);

/* The inverse for display: dst (c, hw) bytes <- clamp(round((src * std + mean) * 255)). */
void image_denormalize(uint8_t *dst, const float *src, int c, int hw, const float *mean,
                       const float *std);

#endif
