"""Vectorised four-vector helpers on (..., 4) arrays ordered (px, py, pz, E)."""

from __future__ import annotations

import numpy as np


def pt(p: np.ndarray) -> np.ndarray:
    return np.hypot(p[..., 0], p[..., 1])


def eta(p: np.ndarray) -> np.ndarray:
    return np.arcsinh(p[..., 2] / np.maximum(pt(p), 1e-12))


def phi(p: np.ndarray) -> np.ndarray:
    return np.arctan2(p[..., 1], p[..., 0])


def mass(p: np.ndarray) -> np.ndarray:
    m2 = p[..., 3] ** 2 - np.sum(p[..., :3] ** 2, axis=-1)
    return np.sqrt(np.maximum(m2, 0.0))


def delta_r(eta1, phi1, eta2, phi2):
    dphi = np.mod(phi1 - phi2 + np.pi, 2 * np.pi) - np.pi
    return np.hypot(eta1 - eta2, dphi)


def boost(p: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Boost four-vectors ``p`` into the rest frame of ``frame`` (both (N, 4))."""
    beta = frame[:, :3] / frame[:, 3:4]
    b2 = np.sum(beta**2, axis=1, keepdims=True)
    gamma = 1.0 / np.sqrt(np.maximum(1.0 - b2, 1e-12))
    bp = np.sum(beta * p[:, :3], axis=1, keepdims=True)
    gamma2 = np.where(b2 > 0, (gamma - 1.0) / np.where(b2 > 0, b2, 1.0), 0.0)
    space = p[:, :3] + gamma2 * bp * beta - gamma * beta * p[:, 3:4]
    energy = gamma * (p[:, 3:4] - bp)
    return np.concatenate([space, energy], axis=1)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def decay_angles(lminus: np.ndarray, lplus: np.ndarray, photon: np.ndarray):
    """Production and decay angles (cos Theta, cos theta, phi) of X -> Z(l- l+) gamma.

    Following the H -> Z gamma literature (e.g. arXiv:1108.2274): in the l l gamma rest frame,
    Theta is the angle of the Z to the incoming-quark direction, approximated by the beam axis
    oriented along the longitudinal boost of the system; theta is the angle of l- in the Z
    rest frame to the Z flight direction; phi is the angle between the production plane
    (beam, Z) and the decay plane (l-, l+).
    """
    system = lminus + lplus + photon
    zcand = lminus + lplus
    beam = np.zeros_like(system[:, :3])
    beam[:, 2] = np.where(system[:, 2] >= 0, 1.0, -1.0)

    z_rf = boost(zcand, system)
    lm_rf = boost(lminus, system)
    lp_rf = boost(lplus, system)
    z_dir = unit(z_rf[:, :3])
    cos_big_theta = np.sum(z_dir * beam, axis=1)

    lm_z = boost(lm_rf, z_rf)
    cos_theta = np.sum(unit(lm_z[:, :3]) * z_dir, axis=1)

    n_prod = unit(np.cross(beam, z_dir))
    n_dec = unit(np.cross(lm_rf[:, :3], lp_rf[:, :3]))
    cos_phi = np.clip(np.sum(n_prod * n_dec, axis=1), -1.0, 1.0)
    sign = np.sign(np.sum(np.cross(n_prod, n_dec) * z_dir, axis=1))
    sign = np.where(sign == 0, 1.0, sign)
    return cos_big_theta, cos_theta, sign * np.arccos(cos_phi)
