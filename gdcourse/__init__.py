"""gdcourse: the objectives, update rules, runners, models, data, plots and widgets of the course.

Data flows one way: objective -> optimizer -> runner -> trajectory -> plot -> widget.
"""
from . import datasets, gradcheck, loops, models, nn, objectives, optimizers, plotting, run, schedules
from .optimizers import (RULES, SGD, AdaMax, Adadelta, Adagrad, Adam, AMSGrad, Momentum, NAG,
                         Nadam, RMSprop, make)
from .run import Trajectory, run_grid, run_many

__version__ = "0.1.0"

__all__ = [
    "datasets", "gradcheck", "loops", "models", "nn", "objectives", "optimizers", "plotting", "run",
    "schedules", "RULES", "SGD", "Momentum", "NAG", "Adagrad", "Adadelta", "RMSprop", "Adam",
    "AdaMax", "Nadam", "AMSGrad", "make", "Trajectory", "run_grid", "run_many",
]
