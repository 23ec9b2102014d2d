"""The training command line as a new user meets it: defaults in --help, a message (not a traceback) for a folder in
the wrong layout."""
import pytest

from models.uniad.__main__ import main
from models.uniad.data import DataLayoutError, discover_classes


def test_help_should_show_the_defaults(capsys):
    with pytest.raises(SystemExit):
        main(['train', '--help'])
    text = capsys.readouterr().out
    assert '(default: 1000)' in text and '(default: paper)' in text and '(default: 0.0001)' in text
    assert '(default: None)' not in text


def test_should_explain_a_flat_folder_of_images_instead_of_failing(tmp_path, capsys):
    for i in range(3):
        (tmp_path / f'{i}.png').write_bytes(b'not read')
    assert main(['train', '--data', str(tmp_path), '--out', str(tmp_path / 'run'), '--preset', 'tiny']) == 2
    err = capsys.readouterr().err
    assert 'holds 3 images directly' in err and '<class>/train/good' in err and 'Traceback' not in err


def test_should_explain_class_folders_without_train_good(tmp_path):
    (tmp_path / 'bolt').mkdir()
    (tmp_path / 'bolt' / 'a.jpg').write_bytes(b'x')
    with pytest.raises(DataLayoutError, match=r'class folders with images directly inside \(bolt\)'):
        discover_classes(str(tmp_path))


def test_should_say_when_the_data_folder_is_missing(tmp_path, capsys):
    assert main(['train', '--data', str(tmp_path / 'nope'), '--out', str(tmp_path / 'run'), '--preset', 'tiny']) == 2
    assert 'does not exist' in capsys.readouterr().err
