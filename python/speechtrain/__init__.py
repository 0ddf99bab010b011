"""speechtrain for Python: RandomMix and the log-mel front end of the speechtrain C library,
through ctypes (no compiled extension). See README "Use from PyTorch".

    import speechtrain
    mixer = speechtrain.RandomMix("mixup,cutmix,resizemix,fmix", [1, 1, 1, 1], alpha=1.0, seed=0)
    x, y_soft = mixer(x, y)              # float32 NCHW numpy array or torch tensor, in place
    feats = speechtrain.logmel("yes.wav")  # (32, 32) float32
"""
from ._lib import SpeechtrainError
from .audio import logmel
from .mix import MixCollate, RandomMix

__all__ = ["RandomMix", "MixCollate", "logmel", "SpeechtrainError"]
