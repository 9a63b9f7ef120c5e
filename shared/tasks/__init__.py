"""Training tasks: data + model + loss + metric.

Modules: ``declarations`` (names and options, torch-free: the API imports it), ``base``
(the :class:`Task` interface), ``registry`` (name → loader, for workers), ``small``
(digits, MNIST-1D, synthetic text on the packaged MiniLM), ``vision`` (CIFAR, ResNet-50)
and ``text`` (GoEmotions, TweetEval). This package file imports nothing, so that importing
``shared.tasks.declarations`` never loads torch.
"""
