"""The tasks that ship with the platform, declared (torch-free; the loaders are named,
not imported)."""

from __future__ import annotations

from shared.tasks.declarations import TaskDeclaration
from shared.tasks.metrics import (
    ACCURACY,
    MACRO_F1,
    MICRO_F1,
    NEXT_TOKEN_ACCURACY,
    PERPLEXITY,
)
from shared.tasks.options import (
    CharLMOptions,
    CifarOptions,
    DigitsOptions,
    GoEmotionsOptions,
    MiniLMTextOptions,
    Mnist1dOptions,
    TweetEvalOptions,
)

BUILTIN_TASKS: tuple[TaskDeclaration, ...] = (
    TaskDeclaration(
        "cifar10",
        "CIFAR-10 with torchvision ResNet-50",
        (ACCURACY, MACRO_F1),
        CifarOptions,
        "shared.tasks.vision:Cifar10Task",
        default_device="cuda",
    ),
    TaskDeclaration(
        "cifar100",
        "CIFAR-100 with torchvision ResNet-50",
        (ACCURACY, MACRO_F1),
        CifarOptions,
        "shared.tasks.vision:Cifar100Task",
        default_device="cuda",
    ),
    TaskDeclaration(
        "goemotions",
        "GoEmotions, 28-label multi-label, BERT-family model",
        (MACRO_F1, ACCURACY, MICRO_F1),
        GoEmotionsOptions,
        "shared.tasks.text:GoEmotionsTask",
        default_device="cuda",
    ),
    TaskDeclaration(
        "tweeteval",
        "TweetEval (subtask selectable), BERT-family model",
        (MACRO_F1, ACCURACY),
        TweetEvalOptions,
        "shared.tasks.text:TweetEvalTask",
        default_device="cuda",
    ),
    TaskDeclaration(
        "digits",
        "scikit-learn's bundled 8×8 digits, small MLP",
        (ACCURACY, MACRO_F1),
        DigitsOptions,
        "shared.tasks.small:DigitsTask",
        check_options={"train_size": 100, "hidden_width": 8},
    ),
    TaskDeclaration(
        "mnist1d",
        "generated MNIST-1D, small MLP/CNN",
        (ACCURACY, MACRO_F1),
        Mnist1dOptions,
        "shared.tasks.small:Mnist1dTask",
        check_options={"num_samples": 200},
    ),
    TaskDeclaration(
        "minilm_text",
        "synthetic 3-class sentiment, fine-tuning the packaged MiniLM",
        (MACRO_F1, ACCURACY),
        MiniLMTextOptions,
        "shared.tasks.small:MiniLMTextTask",
        check_options={"num_examples": 40, "max_length": 8},
    ),
    TaskDeclaration(
        "char_lm",
        "character-level language model (tiny Transformer or LSTM) on a generated corpus",
        (PERPLEXITY, NEXT_TOKEN_ACCURACY),
        CharLMOptions,
        "shared.tasks.language:CharLanguageModelTask",
        check_options={
            "corpus_sentences": 100,
            "sequence_length": 16,
            "width": 16,
            "layers": 1,
            "heads": 2,
        },
    ),
)
