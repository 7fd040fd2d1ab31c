"""Measured style statistics: how acted emotional styles differ from normal motion.

Measured by training/style_stats.py on the Bandai-Namco Research Motion dataset 1
(CC BY-NC 4.0; the contents bow, bye, byebye, guide and walk, each in the nine STYLES);
only these numbers enter the project, never the captures. Regenerate with

    python -m openhuman.training.style_stats --write-reference training/style_reference.py --update-doc docs/emotion-styles.md

(with the dataset in ../shared/data/bandai, or --bandai DIR); tests/test_style_stats.py fails
when these numbers no longer match a fresh measurement. Method: docs/emotion-styles.md.

KIND says how a quantity compares with normal: "ratio" = style / normal of the same content,
"offset" = style - normal, in UNIT. TABLE: style -> quantity -> mean over contents (geometric
for ratios, arithmetic for offsets). AGREEMENT: the share of contents whose own value lies on
the same side of normal as that mean (1.0 = every content agrees). PER_CONTENT: style ->
quantity -> content -> value (duration leaves out the waving contents bye and byebye).
NORMAL: quantity -> content -> the normal take's absolute value. EMOTIONS: the targets for
the six emotions, relative to Neutral: Neutral, Happy, Sad, Angry and Old are the styles
normal, happy, sad, angry and old; Relaxed lies halfway from normal to tired, with hand
speed = amplitude x frequency and jerk = amplitude x frequency^3 (lower tension than tired).
"""

STYLES = ('normal', 'happy', 'sad', 'angry', 'old', 'tired', 'proud', 'not-confident', 'active')

EMOTION_NAMES = ('Neutral', 'Happy', 'Sad', 'Angry', 'Old', 'Relaxed')

EMOTION_STYLE = {'Neutral': 'normal', 'Happy': 'happy', 'Sad': 'sad', 'Angry': 'angry', 'Old': 'old', 'Relaxed': None}

QUANTITIES = ('lean_deg', 'head_height_m', 'head_pitch_deg', 'shoulder_height_m', 'hand_height_m', 'hand_speed', 'amplitude', 'duration', 'frequency', 'jerk', 'symmetry')

KIND = {'lean_deg': 'offset', 'head_height_m': 'offset', 'head_pitch_deg': 'offset', 'shoulder_height_m': 'offset', 'hand_height_m': 'offset', 'hand_speed': 'ratio', 'amplitude': 'ratio', 'duration': 'ratio', 'frequency': 'ratio', 'jerk': 'ratio', 'symmetry': 'offset'}

UNIT = {'lean_deg': 'deg', 'head_height_m': 'm', 'head_pitch_deg': 'deg', 'shoulder_height_m': 'm', 'hand_height_m': 'm', 'hand_speed': 'm/s', 'amplitude': 'm', 'duration': 's', 'frequency': 'Hz', 'jerk': 'm/s^3', 'symmetry': 'r'}

DECIMALS = {'lean_deg': 2, 'head_height_m': 4, 'head_pitch_deg': 2, 'shoulder_height_m': 4, 'hand_height_m': 4, 'hand_speed': 3, 'amplitude': 3, 'duration': 3, 'frequency': 3, 'jerk': 3, 'symmetry': 3}

MEANING = {
    'lean_deg': 'forward lean of the hips->neck line from vertical in the sagittal plane (median), + = forward',
    'head_height_m': 'height of the head joint above the floor (median)',
    'head_pitch_deg': "forward tilt of the head's own axis from vertical in the sagittal plane (median), + = chin down",
    'shoulder_height_m': 'height of the two upper-arm (shoulder ball) joints (median)',
    'hand_height_m': 'height of the two hand (wrist) joints above the hips joint (median)',
    'hand_speed': 'mean speed of the two wrists in the body frame, active span',
    'amplitude': 'RMS distance of each wrist from its mean body-frame position, active span',
    'duration': 'length of the active span; for locomotion seconds per metre travelled; not for waving contents',
    'frequency': "power-weighted mean frequency (0.2-5 Hz) of the wrists' body-frame velocity, active span",
    'jerk': 'mean jerk magnitude of the wrists (Savitzky-Golay, 9 frames), active span',
    'symmetry': 'Pearson correlation of left and right wrist speed, active span',
}

TABLE = {
    'normal': {'lean_deg': 0.0, 'head_height_m': 0.0, 'head_pitch_deg': 0.0, 'shoulder_height_m': 0.0, 'hand_height_m': 0.0, 'hand_speed': 1.0, 'amplitude': 1.0, 'duration': 1.0, 'frequency': 1.0, 'jerk': 1.0, 'symmetry': 0.0},
    'happy': {'lean_deg': 1.56, 'head_height_m': -0.0015, 'head_pitch_deg': -3.38, 'shoulder_height_m': 0.0069, 'hand_height_m': 0.0854, 'hand_speed': 1.937, 'amplitude': 1.622, 'duration': 0.657, 'frequency': 1.312, 'jerk': 2.788, 'symmetry': 0.063},
    'sad': {'lean_deg': -0.24, 'head_height_m': -0.0026, 'head_pitch_deg': 16.42, 'shoulder_height_m': -0.0019, 'hand_height_m': -0.0856, 'hand_speed': 0.447, 'amplitude': 0.897, 'duration': 1.939, 'frequency': 0.639, 'jerk': 0.192, 'symmetry': -0.283},
    'angry': {'lean_deg': 2.78, 'head_height_m': -0.0105, 'head_pitch_deg': 0.93, 'shoulder_height_m': -0.0034, 'hand_height_m': 0.0366, 'hand_speed': 1.927, 'amplitude': 1.032, 'duration': 0.626, 'frequency': 1.605, 'jerk': 3.553, 'symmetry': -0.085},
    'old': {'lean_deg': 15.58, 'head_height_m': -0.0568, 'head_pitch_deg': 6.47, 'shoulder_height_m': -0.047, 'hand_height_m': 0.0335, 'hand_speed': 0.56, 'amplitude': 0.608, 'duration': 1.821, 'frequency': 0.781, 'jerk': 0.404, 'symmetry': -0.14},
    'tired': {'lean_deg': 5.34, 'head_height_m': -0.0386, 'head_pitch_deg': 14.54, 'shoulder_height_m': -0.0254, 'hand_height_m': 0.0421, 'hand_speed': 1.361, 'amplitude': 1.021, 'duration': 1.145, 'frequency': 0.883, 'jerk': 1.149, 'symmetry': -0.461},
    'proud': {'lean_deg': -3.56, 'head_height_m': -0.025, 'head_pitch_deg': -13.76, 'shoulder_height_m': -0.0182, 'hand_height_m': 0.137, 'hand_speed': 0.758, 'amplitude': 0.807, 'duration': 1.307, 'frequency': 0.945, 'jerk': 0.596, 'symmetry': -0.407},
    'not-confident': {'lean_deg': 4.92, 'head_height_m': -0.0361, 'head_pitch_deg': 32.45, 'shoulder_height_m': -0.0229, 'hand_height_m': 0.0958, 'hand_speed': 0.294, 'amplitude': 0.336, 'duration': 1.689, 'frequency': 1.405, 'jerk': 0.452, 'symmetry': -0.291},
    'active': {'lean_deg': -1.06, 'head_height_m': -0.0056, 'head_pitch_deg': 2.05, 'shoulder_height_m': -0.0034, 'hand_height_m': 0.1344, 'hand_speed': 2.771, 'amplitude': 1.412, 'duration': 1.013, 'frequency': 1.514, 'jerk': 4.511, 'symmetry': -0.109},
}

AGREEMENT = {
    'happy': {'lean_deg': 0.6, 'head_height_m': 0.4, 'head_pitch_deg': 0.6, 'shoulder_height_m': 0.6, 'hand_height_m': 1.0, 'hand_speed': 1.0, 'amplitude': 1.0, 'duration': 1.0, 'frequency': 0.8, 'jerk': 1.0, 'symmetry': 0.6},
    'sad': {'lean_deg': 0.6, 'head_height_m': 0.4, 'head_pitch_deg': 1.0, 'shoulder_height_m': 0.4, 'hand_height_m': 0.8, 'hand_speed': 1.0, 'amplitude': 0.4, 'duration': 1.0, 'frequency': 0.8, 'jerk': 1.0, 'symmetry': 0.8},
    'angry': {'lean_deg': 0.6, 'head_height_m': 0.8, 'head_pitch_deg': 0.4, 'shoulder_height_m': 0.6, 'hand_height_m': 0.4, 'hand_speed': 0.8, 'amplitude': 0.6, 'duration': 0.67, 'frequency': 1.0, 'jerk': 1.0, 'symmetry': 0.6},
    'old': {'lean_deg': 0.8, 'head_height_m': 1.0, 'head_pitch_deg': 0.6, 'shoulder_height_m': 1.0, 'hand_height_m': 0.4, 'hand_speed': 0.6, 'amplitude': 0.8, 'duration': 1.0, 'frequency': 0.8, 'jerk': 1.0, 'symmetry': 0.6},
    'tired': {'lean_deg': 0.8, 'head_height_m': 1.0, 'head_pitch_deg': 0.6, 'shoulder_height_m': 1.0, 'hand_height_m': 0.4, 'hand_speed': 0.8, 'amplitude': 0.4, 'duration': 0.67, 'frequency': 0.4, 'jerk': 0.4, 'symmetry': 0.8},
    'proud': {'lean_deg': 1.0, 'head_height_m': 1.0, 'head_pitch_deg': 1.0, 'shoulder_height_m': 0.8, 'hand_height_m': 0.6, 'hand_speed': 0.6, 'amplitude': 0.6, 'duration': 0.67, 'frequency': 0.4, 'jerk': 0.6, 'symmetry': 0.6},
    'not-confident': {'lean_deg': 0.8, 'head_height_m': 1.0, 'head_pitch_deg': 1.0, 'shoulder_height_m': 1.0, 'hand_height_m': 1.0, 'hand_speed': 1.0, 'amplitude': 0.8, 'duration': 1.0, 'frequency': 0.6, 'jerk': 1.0, 'symmetry': 0.8},
    'active': {'lean_deg': 0.6, 'head_height_m': 0.6, 'head_pitch_deg': 0.4, 'shoulder_height_m': 0.8, 'hand_height_m': 0.6, 'hand_speed': 1.0, 'amplitude': 1.0, 'duration': 0.33, 'frequency': 0.8, 'jerk': 1.0, 'symmetry': 0.8},
}

EMOTIONS = {
    'Neutral': {'lean_deg': 0.0, 'head_height_m': 0.0, 'head_pitch_deg': 0.0, 'shoulder_height_m': 0.0, 'hand_height_m': 0.0, 'hand_speed': 1.0, 'amplitude': 1.0, 'duration': 1.0, 'frequency': 1.0, 'jerk': 1.0, 'symmetry': 0.0},
    'Happy': {'lean_deg': 1.56, 'head_height_m': -0.0015, 'head_pitch_deg': -3.38, 'shoulder_height_m': 0.0069, 'hand_height_m': 0.0854, 'hand_speed': 1.937, 'amplitude': 1.622, 'duration': 0.657, 'frequency': 1.312, 'jerk': 2.788, 'symmetry': 0.063},
    'Sad': {'lean_deg': -0.24, 'head_height_m': -0.0026, 'head_pitch_deg': 16.42, 'shoulder_height_m': -0.0019, 'hand_height_m': -0.0856, 'hand_speed': 0.447, 'amplitude': 0.897, 'duration': 1.939, 'frequency': 0.639, 'jerk': 0.192, 'symmetry': -0.283},
    'Angry': {'lean_deg': 2.78, 'head_height_m': -0.0105, 'head_pitch_deg': 0.93, 'shoulder_height_m': -0.0034, 'hand_height_m': 0.0366, 'hand_speed': 1.927, 'amplitude': 1.032, 'duration': 0.626, 'frequency': 1.605, 'jerk': 3.553, 'symmetry': -0.085},
    'Old': {'lean_deg': 15.58, 'head_height_m': -0.0568, 'head_pitch_deg': 6.47, 'shoulder_height_m': -0.047, 'hand_height_m': 0.0335, 'hand_speed': 0.56, 'amplitude': 0.608, 'duration': 1.821, 'frequency': 0.781, 'jerk': 0.404, 'symmetry': -0.14},
    'Relaxed': {'lean_deg': 2.67, 'head_height_m': -0.0193, 'head_pitch_deg': 7.27, 'shoulder_height_m': -0.0127, 'hand_height_m': 0.0211, 'hand_speed': 0.95, 'amplitude': 1.01, 'duration': 1.07, 'frequency': 0.94, 'jerk': 0.839, 'symmetry': -0.231},
}

PER_CONTENT = {
    'normal': {
        'lean_deg': {'bow': 0.0, 'bye': 0.0, 'byebye': 0.0, 'guide': 0.0, 'walk': 0.0},
        'head_height_m': {'bow': 0.0, 'bye': 0.0, 'byebye': 0.0, 'guide': 0.0, 'walk': 0.0},
        'head_pitch_deg': {'bow': 0.0, 'bye': 0.0, 'byebye': 0.0, 'guide': 0.0, 'walk': 0.0},
        'shoulder_height_m': {'bow': 0.0, 'bye': 0.0, 'byebye': 0.0, 'guide': 0.0, 'walk': 0.0},
        'hand_height_m': {'bow': 0.0, 'bye': 0.0, 'byebye': 0.0, 'guide': 0.0, 'walk': 0.0},
        'hand_speed': {'bow': 1.0, 'bye': 1.0, 'byebye': 1.0, 'guide': 1.0, 'walk': 1.0},
        'amplitude': {'bow': 1.0, 'bye': 1.0, 'byebye': 1.0, 'guide': 1.0, 'walk': 1.0},
        'duration': {'bow': 1.0, 'guide': 1.0, 'walk': 1.0},
        'frequency': {'bow': 1.0, 'bye': 1.0, 'byebye': 1.0, 'guide': 1.0, 'walk': 1.0},
        'jerk': {'bow': 1.0, 'bye': 1.0, 'byebye': 1.0, 'guide': 1.0, 'walk': 1.0},
        'symmetry': {'bow': 0.0, 'bye': 0.0, 'byebye': 0.0, 'guide': 0.0, 'walk': 0.0},
    },
    'happy': {
        'lean_deg': {'bow': -8.21, 'bye': -2.32, 'byebye': 9.71, 'guide': 3.63, 'walk': 5.01},
        'head_height_m': {'bow': -0.0175, 'bye': -0.0137, 'byebye': 0.0043, 'guide': 0.0006, 'walk': 0.0188},
        'head_pitch_deg': {'bow': -6.12, 'bye': -4.63, 'byebye': 1.26, 'guide': 0.4, 'walk': -7.82},
        'shoulder_height_m': {'bow': -0.0119, 'bye': -0.0074, 'byebye': 0.0186, 'guide': 0.01, 'walk': 0.0254},
        'hand_height_m': {'bow': 0.1066, 'bye': 0.0483, 'byebye': 0.1343, 'guide': 0.0082, 'walk': 0.1296},
        'hand_speed': {'bow': 2.111, 'bye': 1.206, 'byebye': 1.327, 'guide': 4.216, 'walk': 1.916},
        'amplitude': {'bow': 1.587, 'bye': 1.446, 'byebye': 1.36, 'guide': 2.464, 'walk': 1.459},
        'duration': {'bow': 0.557, 'guide': 0.553, 'walk': 0.922},
        'frequency': {'bow': 1.351, 'bye': 1.967, 'byebye': 0.808, 'guide': 1.216, 'walk': 1.489},
        'jerk': {'bow': 2.456, 'bye': 2.107, 'byebye': 1.385, 'guide': 6.726, 'walk': 3.494},
        'symmetry': {'bow': 0.015, 'bye': -0.042, 'byebye': 0.253, 'guide': -0.022, 'walk': 0.11},
    },
    'sad': {
        'lean_deg': {'bow': -6.28, 'bye': -2.66, 'byebye': 5.07, 'guide': -1.04, 'walk': 3.72},
        'head_height_m': {'bow': -0.0148, 'bye': -0.0148, 'byebye': 0.0042, 'guide': 0.0003, 'walk': 0.0121},
        'head_pitch_deg': {'bow': 21.93, 'bye': 15.77, 'byebye': 16.78, 'guide': 19.86, 'walk': 7.74},
        'shoulder_height_m': {'bow': -0.0128, 'bye': -0.0131, 'byebye': 0.0036, 'guide': 0.0, 'walk': 0.0129},
        'hand_height_m': {'bow': 0.0252, 'bye': -0.053, 'byebye': -0.2065, 'guide': -0.154, 'walk': -0.0398},
        'hand_speed': {'bow': 0.547, 'bye': 0.421, 'byebye': 0.412, 'guide': 0.575, 'walk': 0.328},
        'amplitude': {'bow': 1.558, 'bye': 0.882, 'byebye': 1.156, 'guide': 1.12, 'walk': 0.326},
        'duration': {'bow': 1.649, 'guide': 1.553, 'walk': 2.848},
        'frequency': {'bow': 0.927, 'bye': 0.618, 'byebye': 0.417, 'guide': 0.405, 'walk': 1.099},
        'jerk': {'bow': 0.23, 'bye': 0.204, 'byebye': 0.075, 'guide': 0.214, 'walk': 0.349},
        'symmetry': {'bow': -0.012, 'bye': -0.521, 'byebye': 0.248, 'guide': -0.918, 'walk': -0.214},
    },
    'angry': {
        'lean_deg': {'bow': -7.74, 'bye': -2.83, 'byebye': 12.01, 'guide': 2.48, 'walk': 10.0},
        'head_height_m': {'bow': -0.0217, 'bye': -0.028, 'byebye': 0.0033, 'guide': -0.002, 'walk': -0.0041},
        'head_pitch_deg': {'bow': 0.89, 'bye': -2.73, 'byebye': -5.33, 'guide': -4.73, 'walk': 16.56},
        'shoulder_height_m': {'bow': -0.0181, 'bye': -0.0241, 'byebye': 0.0268, 'guide': 0.0007, 'walk': -0.0021},
        'hand_height_m': {'bow': -0.1126, 'bye': -0.0955, 'byebye': 0.4767, 'guide': -0.12, 'walk': 0.0343},
        'hand_speed': {'bow': 0.872, 'bye': 2.448, 'byebye': 3.572, 'guide': 2.478, 'walk': 1.406},
        'amplitude': {'bow': 0.332, 'bye': 2.408, 'byebye': 0.587, 'guide': 2.362, 'walk': 1.055},
        'duration': {'bow': 0.267, 'guide': 0.882, 'walk': 1.04},
        'frequency': {'bow': 2.34, 'bye': 1.315, 'byebye': 2.146, 'guide': 1.297, 'walk': 1.244},
        'jerk': {'bow': 1.086, 'bye': 4.206, 'byebye': 8.044, 'guide': 5.389, 'walk': 2.862},
        'symmetry': {'bow': -0.083, 'bye': -0.197, 'byebye': 0.139, 'guide': -0.29, 'walk': 0.006},
    },
    'old': {
        'lean_deg': {'bow': 16.35, 'bye': -8.27, 'byebye': 23.95, 'guide': 25.75, 'walk': 20.13},
        'head_height_m': {'bow': -0.0717, 'bye': -0.0712, 'byebye': -0.0329, 'guide': -0.0669, 'walk': -0.0415},
        'head_pitch_deg': {'bow': 19.48, 'bye': -15.93, 'byebye': -0.69, 'guide': 15.31, 'walk': 14.19},
        'shoulder_height_m': {'bow': -0.0494, 'bye': -0.0641, 'byebye': -0.0295, 'guide': -0.0585, 'walk': -0.0335},
        'hand_height_m': {'bow': -0.0338, 'bye': 0.3116, 'byebye': -0.0111, 'guide': -0.1242, 'walk': 0.0247},
        'hand_speed': {'bow': 0.141, 'bye': 1.626, 'byebye': 1.13, 'guide': 0.597, 'walk': 0.357},
        'amplitude': {'bow': 0.342, 'bye': 0.938, 'byebye': 0.436, 'guide': 1.692, 'walk': 0.352},
        'duration': {'bow': 1.244, 'guide': 2.529, 'walk': 1.919},
        'frequency': {'bow': 0.795, 'bye': 0.527, 'byebye': 0.742, 'guide': 0.7, 'walk': 1.332},
        'jerk': {'bow': 0.129, 'bye': 0.658, 'byebye': 0.681, 'guide': 0.439, 'walk': 0.426},
        'symmetry': {'bow': -0.017, 'bye': -0.394, 'byebye': 0.225, 'guide': -0.606, 'walk': 0.093},
    },
    'tired': {
        'lean_deg': {'bow': -14.94, 'bye': 12.03, 'byebye': 1.52, 'guide': 17.23, 'walk': 10.87},
        'head_height_m': {'bow': -0.032, 'bye': -0.065, 'byebye': -0.0154, 'guide': -0.0449, 'walk': -0.0355},
        'head_pitch_deg': {'bow': -12.96, 'bye': 4.69, 'byebye': -6.64, 'guide': 44.54, 'walk': 43.1},
        'shoulder_height_m': {'bow': -0.035, 'bye': -0.0381, 'byebye': -0.0078, 'guide': -0.0239, 'walk': -0.0221},
        'hand_height_m': {'bow': -0.129, 'bye': 0.1752, 'byebye': 0.3861, 'guide': -0.1775, 'walk': -0.0441},
        'hand_speed': {'bow': 1.076, 'bye': 2.507, 'byebye': 1.399, 'guide': 1.951, 'walk': 0.634},
        'amplitude': {'bow': 1.268, 'bye': 0.931, 'byebye': 0.841, 'guide': 1.766, 'walk': 0.633},
        'duration': {'bow': 1.229, 'guide': 0.965, 'walk': 1.266},
        'frequency': {'bow': 1.057, 'bye': 1.025, 'byebye': 0.503, 'guide': 0.965, 'walk': 1.023},
        'jerk': {'bow': 0.775, 'bye': 3.013, 'byebye': 0.479, 'guide': 2.401, 'walk': 0.745},
        'symmetry': {'bow': -0.371, 'bye': -0.833, 'byebye': 0.223, 'guide': -0.841, 'walk': -0.486},
    },
    'proud': {
        'lean_deg': {'bow': -7.69, 'bye': -5.99, 'byebye': -0.15, 'guide': -1.92, 'walk': -2.06},
        'head_height_m': {'bow': -0.037, 'bye': -0.0385, 'byebye': -0.0236, 'guide': -0.022, 'walk': -0.0037},
        'head_pitch_deg': {'bow': -7.43, 'bye': -19.94, 'byebye': -15.68, 'guide': -9.92, 'walk': -15.82},
        'shoulder_height_m': {'bow': -0.032, 'bye': -0.0307, 'byebye': -0.0123, 'guide': -0.0177, 'walk': 0.0016},
        'hand_height_m': {'bow': -0.0988, 'bye': 0.1427, 'byebye': 0.5464, 'guide': -0.0337, 'walk': 0.1285},
        'hand_speed': {'bow': 0.288, 'bye': 1.452, 'byebye': 1.49, 'guide': 0.766, 'walk': 0.524},
        'amplitude': {'bow': 0.361, 'bye': 2.309, 'byebye': 0.447, 'guide': 1.309, 'walk': 0.703},
        'duration': {'bow': 0.931, 'guide': 1.329, 'walk': 1.805},
        'frequency': {'bow': 1.054, 'bye': 0.797, 'byebye': 1.029, 'guide': 0.71, 'walk': 1.228},
        'jerk': {'bow': 0.201, 'bye': 1.109, 'byebye': 1.395, 'guide': 0.505, 'walk': 0.479},
        'symmetry': {'bow': -0.906, 'bye': -0.574, 'byebye': 0.241, 'guide': -0.945, 'walk': 0.149},
    },
    'not-confident': {
        'lean_deg': {'bow': 4.79, 'bye': -4.66, 'byebye': 5.04, 'guide': 6.7, 'walk': 12.75},
        'head_height_m': {'bow': -0.0519, 'bye': -0.0366, 'byebye': -0.0177, 'guide': -0.0431, 'walk': -0.0311},
        'head_pitch_deg': {'bow': 38.37, 'bye': 23.97, 'byebye': 29.18, 'guide': 36.82, 'walk': 33.92},
        'shoulder_height_m': {'bow': -0.0328, 'bye': -0.0247, 'byebye': -0.0122, 'guide': -0.0282, 'walk': -0.0164},
        'hand_height_m': {'bow': 0.1163, 'bye': 0.121, 'byebye': 0.0198, 'guide': 0.1049, 'walk': 0.1172},
        'hand_speed': {'bow': 0.24, 'bye': 0.508, 'byebye': 0.262, 'guide': 0.418, 'walk': 0.165},
        'amplitude': {'bow': 0.549, 'bye': 0.832, 'byebye': 0.073, 'guide': 1.172, 'walk': 0.111},
        'duration': {'bow': 1.107, 'guide': 1.906, 'walk': 2.282},
        'frequency': {'bow': 0.771, 'bye': 1.624, 'byebye': 2.575, 'guide': 0.767, 'walk': 2.212},
        'jerk': {'bow': 0.143, 'bye': 0.601, 'byebye': 0.717, 'guide': 0.424, 'walk': 0.723},
        'symmetry': {'bow': -0.003, 'bye': -0.697, 'byebye': -0.425, 'guide': -0.361, 'walk': 0.031},
    },
    'active': {
        'lean_deg': {'bow': -8.23, 'bye': -1.36, 'byebye': 1.34, 'guide': -1.01, 'walk': 3.99},
        'head_height_m': {'bow': -0.0122, 'bye': -0.0088, 'byebye': 0.0034, 'guide': 0.0041, 'walk': -0.0143},
        'head_pitch_deg': {'bow': -5.51, 'bye': -9.72, 'byebye': -1.47, 'guide': 14.69, 'walk': 12.24},
        'shoulder_height_m': {'bow': -0.0163, 'bye': -0.0003, 'byebye': 0.0158, 'guide': -0.0009, 'walk': -0.0155},
        'hand_height_m': {'bow': -0.1065, 'bye': 0.261, 'byebye': 0.5189, 'guide': -0.036, 'walk': 0.0345},
        'hand_speed': {'bow': 2.038, 'bye': 6.141, 'byebye': 6.466, 'guide': 1.749, 'walk': 1.155},
        'amplitude': {'bow': 1.852, 'bye': 1.16, 'byebye': 1.566, 'guide': 1.498, 'walk': 1.112},
        'duration': {'bow': 0.817, 'guide': 1.506, 'walk': 0.846},
        'frequency': {'bow': 1.886, 'bye': 1.811, 'byebye': 1.371, 'guide': 1.716, 'walk': 0.991},
        'jerk': {'bow': 3.162, 'bye': 15.471, 'byebye': 9.4, 'guide': 3.631, 'walk': 1.119},
        'symmetry': {'bow': -0.003, 'bye': -0.355, 'byebye': 0.2, 'guide': -0.302, 'walk': -0.084},
    },
}

NORMAL = {
    'lean_deg': {'bow': 7.84, 'bye': 0.86, 'byebye': -7.36, 'guide': -1.52, 'walk': -0.77},
    'head_height_m': {'bow': 1.4099, 'bye': 1.4104, 'byebye': 1.3906, 'guide': 1.3955, 'walk': 1.3733},
    'head_pitch_deg': {'bow': 8.12, 'bye': 6.7, 'byebye': 0.97, 'guide': -0.5, 'walk': -3.09},
    'shoulder_height_m': {'bow': 1.3071, 'bye': 1.3075, 'byebye': 1.2925, 'guide': 1.2942, 'walk': 1.2725},
    'hand_height_m': {'bow': 0.0402, 'bye': 0.1024, 'byebye': 0.199, 'guide': 0.1073, 'walk': -0.0391},
    'hand_speed': {'bow': 0.194, 'bye': 0.158, 'byebye': 0.412, 'guide': 0.248, 'walk': 0.915},
    'amplitude': {'bow': 0.074, 'bye': 0.074, 'byebye': 0.17, 'guide': 0.091, 'walk': 0.17},
    'duration': {'bow': 4.367, 'bye': 3.633, 'byebye': 3.833, 'guide': 2.833, 'walk': 0.784},
    'frequency': {'bow': 0.624, 'bye': 1.275, 'byebye': 1.585, 'guide': 0.884, 'walk': 1.042},
    'jerk': {'bow': 12.497, 'bye': 10.379, 'byebye': 47.559, 'guide': 10.615, 'walk': 54.236},
    'symmetry': {'bow': 0.98, 'bye': 0.613, 'byebye': 0.723, 'guide': 0.937, 'walk': 0.685},
}

